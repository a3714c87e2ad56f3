task hello {
  String name

  command {
    echo "Hello ${name}"
    >&2 echo "Goodbye ${name}"
  }

  output {
    String out = read_string(stdout())
  }
}

workflow hello_world {
  String name

  call hello { input: name = name }

  output {
    String out = hello.out
  }
}
