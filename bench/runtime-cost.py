"""Prints the hub's CPU time, allocations and GC pauses per unit of work from two GET /stats answers.
Usage: python3 bench/runtime-cost.py <units> <label> <stats before> <stats after> [<before> <after> ...]
(request-cost.sh, webhooks/cost.sh); several pairs (the nodes of a cluster) are summed."""
import json, sys
n = int(sys.argv[1]); label = sys.argv[2]
pairs = [(json.loads(x)["runtime"], json.loads(y)["runtime"]) for x, y in zip(sys.argv[3::2], sys.argv[4::2])]
d = lambda k: sum(b[k] - a[k] for a, b in pairs)
gcs = [sum(b["gc_counts"][i] - a["gc_counts"][i] for a, b in pairs) for i in range(3)]
b = pairs[0][1]
print(f"{label}: cpu {d('cpu_ms') * 1000 / n:.1f} us, allocated {d('allocated_bytes') / n:.0f} B; "
      f"gc pauses {d('gc_pause_ms'):.1f} ms in {gcs} (gen0/1/2), "
      f"server gc {b['server_gc']}, pool threads {b['thread_pool_threads']}"
      + (f" (summed over {len(pairs)} nodes)" if len(pairs) > 1 else ""))
