version 1.0

workflow greet_one {
  input {
    String name
  }
  call shout { input: name = name }
  output {
    String greeting = shout.loud
  }
}

task shout {
  input {
    String name
  }
  command <<<
    echo "hello ~{name}" | tr a-z A-Z
  >>>
  output {
    String loud = read_string(stdout())
  }
}
