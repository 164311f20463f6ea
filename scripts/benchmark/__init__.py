"""Benchmark: what one Smartcar webhook delivery costs, against a no-op webhook and a reference.

Usage: scripts/bench [--quick] [--json PATH] [--iterations N] [--warmup N] [--block N]
                     [--vehicles N] [--profile N] [--[no-]recorder] [--recorder-deliveries N]

One run starts a real Home Assistant core in this process with ``http`` on loopback, sets
up this checkout's integration, and POSTs signed VEHICLE_STATE bodies over loopback HTTP to
three webhooks, in interleaved blocks: the floor (a no-op handler), a reference handler
(the least any integration must do) and the integration (server.py, timing.py). It
reports, with the issue's targets as PASS/MISS (report.py; a MISS never fails the run):

* 8, 28 and 85 signals, two values changed per delivery and nothing changed: p50/p99
  round trip and handler time, the ratios to the floor and the reference, and the state
  writes per delivery as the bus sees them (signal and vehicle entities apart);
* the 85-signal, two-changed delivery with 1, 10 and 100 vehicles present;
* memory held per vehicle (tracemalloc) and the cost of the integration's delayed save
  (memory.py);
* one simulated vehicle-day in a real SQLite recorder: bytes per table, state rows
  (recorder.py, day.py; ``--no-recorder`` skips it);
* with ``--profile N``, a cProfile of the handler (profiling.py).

Only public seams are measured (seams.py): the handler as Home Assistant's webhook
component calls it, state writes on the bus, the data handed to Home Assistant's Store.
When one is gone the bench exits 2 and says which. Results go to ``bench-results.json`` at
the repository root (git-ignored) unless ``--json`` says otherwise.
"""
