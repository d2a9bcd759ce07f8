// Under construction.
print("LoadWorker")
