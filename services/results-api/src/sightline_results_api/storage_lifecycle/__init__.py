"""Storage lifecycle: deletion jobs (a stream, or a range of it) and the retention sweeper,
run by one worker thread beside the API (see `worker`)."""
