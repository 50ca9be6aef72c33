"""Getting what the servers run onto the machine, once, cached outside the clone."""
