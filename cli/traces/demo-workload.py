# The small workload of pymem's demo trace: what a short Python program does
# with its object allocator after start-up. Recorded with
#   pymem record cli/traces/demo.trace.gz -- cli/traces/demo-workload.py
import collections
import json

words = ("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu " * 40).split()
counts = collections.Counter(w[: 1 + i % 5] for i, w in enumerate(words))
table = {k: [k * n for n in range(v % 7)] for k, v in counts.items()}
text = json.dumps(table, sort_keys=True)
again = json.loads(text)
pairs = sorted((len(v), k) for k, v in again.items())
print(len(words), len(counts), len(text), pairs[-1])
