/**
 * Python programs of our own for the live-run oracle: each exercises a part of
 * the standard library (most allocate through pymalloc in different size
 * classes and lifetimes), is deterministic under the recorder (fixed hash
 * seed, seeded random, no clocks) and marks a checkpoint halfway, where the
 * live pymalloc's report is taken.
 */
export interface LiveProgram {
  name: string;
  source: string;
}

const checkpoint = "import _pymem_record\n_pymem_record.checkpoint()";

function program(name: string, setup: string, rest: string): LiveProgram {
  return { name, source: `${setup.trim()}\n${checkpoint}\n${rest.trim()}\n` };
}

export const LIVE_PROGRAMS: readonly LiveProgram[] = [
  program(
    "json",
    `
import json
data = [{"id": i, "name": "item%d" % i, "tags": ["t%d" % (i % 7)] * (i % 4), "score": i / 7} for i in range(600)]
text = json.dumps(data, indent=1)
`,
    `
back = json.loads(text)
assert back == data
print(len(text))
`,
  ),
  program(
    "regex",
    `
import re
words = ["alpha", "beta", "gamma", "delta", "epsilon"]
text = " ".join("%s%d=%s;" % (words[i % 5], i, words[(i * 7) % 5]) for i in range(1500))
pairs = re.findall(r"(\\w+?)(\\d+)=(\\w+);", text)
`,
    `
counts = {}
for a, n, b in pairs:
    counts[a + b] = counts.get(a + b, 0) + int(n) % 3
print(len(pairs), sorted(counts.items())[:3], re.sub(r"\\d", "#", text[:40]))
`,
  ),
  program(
    "collections",
    `
from collections import Counter, defaultdict, deque, OrderedDict
c = Counter((i * i) % 97 for i in range(6000))
groups = defaultdict(list)
for i in range(2000):
    groups[i % 31].append(str(i))
`,
    `
q = deque(maxlen=500)
for i in range(3000):
    q.append((i, str(i)))
od = OrderedDict((str(i), i) for i in range(800))
for k in list(od)[::3]:
    od.move_to_end(k)
del groups
print(c.most_common(2), len(q), next(iter(od)))
`,
  ),
  program(
    "objects",
    `
import gc
class Node:
    __slots__ = ("value", "children", "parent")
    def __init__(self, value, parent=None):
        self.value, self.children, self.parent = value, [], parent
class Plain:
    def __init__(self, i):
        self.i, self.name, self.me = i, "p%d" % i, None
root = Node(0)
frontier = [root]
for i in range(1, 2500):
    n = Node(i, frontier[i // 3 % len(frontier)])
    n.parent.children.append(n)
    frontier.append(n)
plains = [Plain(i) for i in range(200)]
for p in plains[::2]:
    p.me = p
`,
    `
del root, frontier, n
print(gc.collect() >= 0)
plains = None
print(gc.collect() >= 0)
`,
  ),
  program(
    "strings",
    `
parts = ["%05d:%s" % (i, chr(65 + i % 26) * (i % 13)) for i in range(2000)]
joined = "|".join(parts)
encoded = joined.encode("utf-8")
`,
    `
upper = [p.upper().replace("A", "aa") for p in parts]
fs = [f"{i:>8}|{p!r}" for i, p in enumerate(upper[:1000])]
decoded = bytes(encoded).decode("latin-1").split("|")
print(len(joined), len(fs), decoded[-1][:5], "é".join(upper[:3])[:20])
`,
  ),
  program(
    "sorting",
    `
import bisect, heapq, random
rnd = random.Random(7)
records = [(rnd.random(), "r%d" % i, i % 11) for i in range(3000)]
`,
    `
by_key = sorted(records, key=lambda r: (r[2], r[1]))
top = heapq.nlargest(50, records)
line = []
for r in records[:1000]:
    bisect.insort(line, r[1])
print(by_key[0][1], top[0][1], line[:2])
`,
  ),
  program(
    "numbers",
    `
from decimal import Decimal, getcontext
from fractions import Fraction
getcontext().prec = 40
total = sum(Decimal(i) / Decimal(7) for i in range(1, 500))
`,
    `
h = sum(Fraction(1, i) for i in range(1, 150))
big = [3 ** i for i in range(200)]
print(str(total)[:12], h.denominator % 1000, sum(big) % 97, [float(x) for x in (1.5, 2.25)])
`,
  ),
  program(
    "difflib",
    `
import difflib
a = ["line %d %s" % (i, "x" * (i % 17)) for i in range(200)]
b = [l if i % 9 else l.upper() for i, l in enumerate(a)]
`,
    `
diff = list(difflib.unified_diff(a, b, lineterm=""))
ratio = difflib.SequenceMatcher(None, "|".join(a[:100]), "|".join(b[:100])).ratio()
print(len(diff), round(ratio, 3))
`,
  ),
  program(
    "compile",
    `
import ast
src = "\\n".join("def f%d(x, y=%d):\\n    return [x * %d + y for _ in range(3)]" % (i, i, i) for i in range(40))
tree = ast.parse(src)
`,
    `
code = compile(tree, "<generated>", "exec")
ns = {}
exec(code, ns)
print(len(tree.body), ns["f17"](2), ast.dump(tree.body[0])[:30])
`,
  ),
  program(
    "pickle",
    `
import pickle, io, struct, array
from dataclasses import dataclass, field
@dataclass
class Point:
    x: int
    y: int
    tags: list = field(default_factory=list)
points = [Point(i, -i, ["p"] * (i % 3)) for i in range(1500)]
blob = pickle.dumps(points, protocol=4)
`,
    `
again = pickle.loads(blob)
buf = io.BytesIO()
for p in again[:800]:
    buf.write(struct.pack("<ii", p.x, p.y))
arr = array.array("i", range(2000))
print(len(blob), again[5], len(buf.getvalue()), sum(arr))
`,
  ),
];
