version 1.0

# A final output, an intermediate file and logs: what the run-files endpoints classify.
workflow two_files {
  call write_it
  call copy_it { input: source = write_it.note }
  output {
    File final = copy_it.copy
  }
}

task write_it {
  command <<<
    echo "intermediate" > note.txt
    echo "log line"
  >>>
  output {
    File note = "note.txt"
  }
}

task copy_it {
  input {
    File source
  }
  command <<<
    cp "~{source}" copy.txt
  >>>
  output {
    File copy = "copy.txt"
  }
}
