// Under construction.
print("HummingbirdService")
