"""Where attachments are staged and logs and run files are read: local disk, GCS or Azure Blob."""
