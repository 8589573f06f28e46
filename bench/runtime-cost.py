"""Prints the hub's CPU time, allocations and GC pauses per unit of work from two GET /stats answers.
Usage: python3 bench/runtime-cost.py <units> <label> <stats before> <stats after>   (request-cost.sh, webhooks/cost.sh)"""
import json, sys
n = int(sys.argv[1]); label = sys.argv[2]
a = json.loads(sys.argv[3])["runtime"]; b = json.loads(sys.argv[4])["runtime"]
d = lambda k: b[k] - a[k]
print(f"{label}: cpu {d('cpu_ms') * 1000 / n:.1f} us, allocated {d('allocated_bytes') / n:.0f} B; "
      f"gc pauses {d('gc_pause_ms'):.1f} ms in {[y - x for x, y in zip(a['gc_counts'], b['gc_counts'])]} (gen0/1/2), "
      f"server gc {b['server_gc']}, pool threads {b['thread_pool_threads']}")
