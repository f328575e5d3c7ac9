"""The hub's runtime: the Faust app and worker, the batch loops the stages run in, their
messages and dead letters, the heartbeat agent, counters and the lag reader."""
