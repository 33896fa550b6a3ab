//! Pipes and AF_UNIX socketpairs: byte queues and their accounting.
