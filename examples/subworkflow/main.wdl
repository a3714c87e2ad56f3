version 1.0

import "lib/greet.wdl" as greet

workflow greet_all {
  input {
    Array[String] names = ["ada", "bob"]
  }
  scatter (name in names) {
    call greet.greet_one { input: name = name }
  }
  output {
    Array[String] greetings = greet_one.greeting
  }
}
