version 1.0

workflow squares {
  input {
    Array[Int] numbers = [1, 2, 3, 4, 5]
  }
  scatter (n in numbers) {
    call square { input: n = n }
  }
  call total { input: values = square.result }
  output {
    Array[Int] squares = square.result
    Int sum = total.result
  }
}

task square {
  input {
    Int n
  }
  command <<<
    echo $(( ~{n} * ~{n} ))
  >>>
  output {
    Int result = read_int(stdout())
  }
}

task total {
  input {
    Array[Int] values
  }
  command <<<
    echo $(( ~{sep=" + " values} ))
  >>>
  output {
    Int result = read_int(stdout())
  }
}
