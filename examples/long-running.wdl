version 1.0

# Sleeps for ten minutes: something to cancel.
workflow long_running {
  input {
    Int seconds = 600
  }
  call wait { input: seconds = seconds }
}

task wait {
  input {
    Int seconds
  }
  command <<<
    echo "waiting ~{seconds} s"
    sleep ~{seconds}
  >>>
  output {
    String said = read_string(stdout())
  }
}
