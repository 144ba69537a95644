print("unmask")
