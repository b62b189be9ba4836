function Double { param([Parameter(ValueFromPipeline)][int]$n) process { $n * 2 } }
1..3 | Double