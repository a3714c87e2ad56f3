version 1.0

workflow hello_world {
  input {
    String name = "World"
  }
  call say_hello { input: name = name }
  output {
    File greeting = say_hello.greeting
    String message = say_hello.message
  }
}

task say_hello {
  input {
    String name
  }
  command <<<
    echo "Hello ~{name}!"
    echo "Goodbye ~{name}!" >&2
  >>>
  output {
    File greeting = stdout()
    String message = read_string(stdout())
  }
}
