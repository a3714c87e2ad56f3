version 1.0

struct Group {
  String title
  Array[String] members
}

task make_group {
  input {
    Array[String] names
  }

  command <<<
    echo "making a group of ~{length(names)}"
  >>>

  output {
    Group group = object { title: "friends", members: names }
  }
}

workflow greet_group {
  input {
    Group group
  }

  call write_greetings { input: title = group.title, members = group.members }
  call shout { input: text = write_greetings.greetings }

  output {
    File greetings = shout.loud
  }
}

task write_greetings {
  input {
    String title
    Array[String] members
  }

  command <<<
    for name in ~{sep=" " members}; do echo "hello $name, my ~{title}"; done
  >>>

  output {
    File greetings = stdout()
  }
}

task shout {
  input {
    File text
  }

  command <<<
    tr a-z A-Z < ~{text}
  >>>

  output {
    File loud = stdout()
  }
}
