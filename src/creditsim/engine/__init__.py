"""The engine, pure JAX: randomness, the macro tilt and macro paths, the agent kernel and
the compaction of finished loans."""
