// Under construction.
print("BackupJob")
