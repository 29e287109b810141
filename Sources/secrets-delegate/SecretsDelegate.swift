print("secrets-delegate: not yet implemented")
