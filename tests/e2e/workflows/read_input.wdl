version 1.0

workflow test {
  input {
    File input_file
  }

  call read_it { input: f = input_file }

  output {
    String o = read_it.o
  }
}

task read_it {
  input {
    File f
  }

  command <<<
    cat ~{f}
  >>>

  output {
    String o = read_string(stdout())
  }
}
