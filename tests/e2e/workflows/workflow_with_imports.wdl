version 1.0

import "people.wdl" as people

# Four tasks in all: one here before the sub-workflow, two inside it, one after it.
workflow greet_people {
  input {
    Array[String] names = ["ada", "grace"]
  }

  call people.make_group { input: names = names }
  call people.greet_group { input: group = make_group.group }
  call count_lines { input: text = greet_group.greetings }

  output {
    Int greeted = count_lines.lines
  }
}

task count_lines {
  input {
    File text
  }

  command <<<
    wc -l < ~{text}
  >>>

  output {
    Int lines = read_int(stdout())
  }
}
