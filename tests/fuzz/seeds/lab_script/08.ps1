function Count-It {
  begin { $c = 0 }
  process { $c = $c + 1 }
  end { "counted $c" }
}
'a','b','c' | Count-It