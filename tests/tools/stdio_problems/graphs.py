"""Graphs and grids: BFS, Dijkstra, union-find, topological order, trees.

Generated trees: input n d seed; g = the shared generator's n values with m = d, and the parent
of vertex i (2 <= i <= n) is max(1, i - 1 - g_i). d = 1 makes a path, a large d a bushy tree."""
from __future__ import annotations

from collections import deque

from . import LCG_RULE, Problem, bug, lcg, lines, ok, src, with_lcg

TREE_RULE = ("g_1..g_n are made with m = d, where RULE, and the parent of vertex i (2 <= i <= n) is "
             "max(1, i - 1 - g_i)").replace("RULE", LCG_RULE)


def _read(inp):
    return list(map(int, inp.split()))


def _random_graph(rng, n, m, directed=False, weights=None):
    edges = set()
    while len(edges) < m:
        u, v = rng.randint(1, n), rng.randint(1, n)
        if u == v:
            continue
        if not directed and (v, u) in edges:
            continue
        edges.add((u, v))
    out = []
    for u, v in sorted(edges, key=lambda e: rng.random()):
        out.append(f"{u} {v}" + (f" {rng.randint(*weights)}" if weights else ""))
    return out


def _bfs_cases(rng):
    out = [lines("1 0"), lines("2 0"), lines("3 1", "1 3"), lines("4 3", "1 2", "2 3", "3 1")]
    for n, m in ((10, 12), (600, 900), (5000, 4800)):
        out.append(lines(f"{n} {m}", *_random_graph(rng, n, m)))
    return out


def _dijkstra_brute(inp):
    n, m, seed = _read(inp)
    a, b, c = lcg(m, seed, n), lcg(m, seed + 1, n), lcg(m, seed + 2, 1000)
    inf = float("inf")
    dist = [inf] * (n + 1)
    dist[1] = 0
    for _ in range(n):  # Bellman-Ford to the end, independent of the heap programs
        for u, v, w in zip(a, b, c):
            if dist[u + 1] + w + 1 < dist[v + 1]:
                dist[v + 1] = dist[u + 1] + w + 1
    reach = [d for d in dist[1:] if d < inf]
    return lines(f"{sum(reach)} {n - len(reach)}")


def _dijkstra_cases(rng):
    return [lines("1 1 5"), lines("2 1 3"), lines("5 20 9"), lines(f"50 200 {rng.randint(0, 10**9)}"),
            lines(f"6000 18000 {rng.randint(0, 10**9)}"), lines(f"20000 80000 {rng.randint(0, 10**9)}")]


def _snake(r, c):
    g = [["." for _ in range(c)] for _ in range(r)]
    for i in range(0, r, 2):
        for j in range(c):
            g[i][j] = "#"
        if i + 1 < r:
            g[i + 1][c - 1 if (i // 2) % 2 == 0 else 0] = "#"
    return ["".join(row) for row in g]


def _island_cases(rng):
    out = [lines("1 1", "."), lines("1 1", "#"), lines("2 2", "##", ".#"), lines("3 3", "###", "#.#", "###")]
    for r, c, p in ((8, 10, 0.45), (100, 100, 0.4)):
        out.append(lines(f"{r} {c}", *("".join("#" if rng.random() < p else "." for _ in range(c)) for _ in range(r))))
    out.append(lines("150 150", *_snake(150, 150)))
    return out


def _topo_cases(rng):
    out = [lines("1 0"), lines("3 0"), lines("3 3", "1 2", "2 3", "3 1"), lines("3 2", "3 1", "2 1")]
    for n, m in ((10, 12), (1000, 3000)):
        order = list(range(1, n + 1))
        rng.shuffle(order)
        pos = {v: i for i, v in enumerate(order)}
        edges = set()
        while len(edges) < m:
            u, v = rng.sample(order, 2)
            if pos[u] > pos[v]:
                u, v = v, u
            edges.add((u, v))
        out.append(lines(f"{n} {m}", *(f"{u} {v}" for u, v in edges)))
    out.append(lines("6 6", "1 2", "2 3", "3 4", "4 5", "5 6", "6 4"))
    return out


def _bipartite_cases(rng):
    graphs = [["3 2", "1 2", "2 3"], ["3 3", "1 2", "2 3", "3 1"], ["4 0"], ["4 2", "1 2", "3 4"],
              ["5 4", "1 2", "3 4", "4 5", "5 3"]]
    for _ in range(30):
        n = rng.randint(2, 12)
        m = rng.randint(0, min(15, n * (n - 1) // 2))
        graphs.append([f"{n} {m}", *_random_graph(rng, n, m)])
    first, rest = graphs[:5], graphs[5:]
    big_n = 5000
    side = [rng.randint(0, 1) for _ in range(big_n + 1)]
    big = set()
    while len(big) < 8000:
        u, v = rng.randint(1, big_n), rng.randint(1, big_n)
        if side[u] != side[v] and (v, u) not in big:
            big.add((u, v))
    big_graph = [f"{big_n} {len(big)}", *(f"{u} {v}" for u, v in big)]
    return [lines(len(first), *(line for g in first for line in g)),
            lines(len(rest), *(line for g in rest for line in g)),
            lines(1, *big_graph)]


def _tree_parents(n, d, seed):
    g = lcg(n, seed, d)
    return [0, 0] + [max(1, i - 1 - g[i - 1]) for i in range(2, n + 1)]


def _diameter_brute(inp):
    n, d, seed = _read(inp)
    par = _tree_parents(n, d, seed)
    adj = [[] for _ in range(n + 1)]
    for i in range(2, n + 1):
        adj[i].append(par[i])
        adj[par[i]].append(i)

    def far(s):
        dist = [-1] * (n + 1)
        dist[s] = 0
        q = deque([s])
        while q:
            u = q.popleft()
            for v in adj[u]:
                if dist[v] < 0:
                    dist[v] = dist[u] + 1
                    q.append(v)
        return max(range(1, n + 1), key=lambda v: dist[v]), max(dist)
    return lines(max(far(s)[1] for s in range(1, n + 1)))


def _diameter_cases(rng):
    return [lines("1 1 0"), lines("2 1 0"), lines("10 3 4"), lines(f"1000 20 {rng.randint(0, 10**9)}"),
            lines(f"100000 1000 {rng.randint(0, 10**9)}"), lines(f"100000 1 {rng.randint(0, 10**9)}")]


def _lca_brute(inp):
    n, d, q, seed = _read(inp)
    par = _tree_parents(n, d, seed)
    b = lcg(2 * q, seed + 1, n)
    total = 0
    for j in range(q):
        u, v = b[2 * j] + 1, b[2 * j + 1] + 1
        anc = set()
        while u:
            anc.add(u)
            u = par[u]
        while v not in anc:
            v = par[v]
        total += v
    return lines(total)


def _lca_cases(rng):
    return [lines("1 1 1 0"), lines("2 1 3 1"), lines("12 3 10 5"), lines(f"2000 10 2000 {rng.randint(0, 10**9)}"),
            lines(f"100000 2 30000 {rng.randint(0, 10**9)}")]


def _mst_cases(rng):
    out = [lines("1 0"), lines("2 0"), lines("3 3", "1 2 5", "2 3 5", "1 3 5"), lines("4 2", "1 2 1", "3 4 1")]
    for n, m in ((10, 20), (1500, 5000)):
        edges = [f"{i} {rng.randint(1, i - 1)} {rng.randint(1, 10**6)}" for i in range(2, n + 1)]
        edges += _random_graph(rng, n, m - (n - 1), weights=(1, 10**6))
        rng.shuffle(edges)
        out.append(lines(f"{n} {len(edges)}", *edges))
    return out


def _paths_cases(rng):
    out = [lines("1 0"), lines("2 1", "1 2"), lines("5 6", "1 2", "1 3", "2 4", "3 4", "4 5", "1 5")]
    layers, width = 30, 4
    edges = []
    for layer in range(layers - 1):
        for i in range(width):
            for j in range(width):
                edges.append(f"{2 + layer * width + i} {2 + (layer + 1) * width + j}")
    n = 2 + layers * width
    edges += [f"1 {2 + i}" for i in range(width)] + [f"{2 + (layers - 1) * width + i} {n}" for i in range(width)]
    out.append(lines(f"{n} {len(edges)}", *edges))
    out.append(lines("1500 4500", *_random_graph(rng, 1500, 4500)))
    return out


def _knight_cases(rng):
    out = [lines(1, "1 1 1 1 1"), lines(2, "2 1 1 2 2", "3 1 1 2 2")]
    out.append(lines(50, *(f"{n} {rng.randint(1, n)} {rng.randint(1, n)} {rng.randint(1, n)} {rng.randint(1, n)}"
                           for n in (rng.randint(4, 40) for _ in range(50)))))
    out.append(lines(3, "100 1 1 100 100", "100 1 1 2 2", "100 50 50 1 100"))
    return out


def _cycle_cases(rng):
    out = [lines("1 0"), lines("2 2", "1 2", "2 1"), lines("3 3", "1 2", "1 3", "2 3"), lines("1 1", "1 1")]
    for n, m in ((10, 9), (2000, 5000)):
        order = list(range(1, n + 1))
        rng.shuffle(order)
        pos = {v: i for i, v in enumerate(order)}
        edges = set()
        while len(edges) < m:
            u, v = rng.sample(order, 2)
            if pos[u] > pos[v]:
                u, v = v, u
            edges.add((u, v))
        out.append(lines(f"{n} {m}", *(f"{u} {v}" for u, v in edges)))
    return out


def _maze(rng, r, c, p):
    g = [["#" if rng.random() < p else "." for _ in range(c)] for _ in range(r)]
    g[0][0], g[r - 1][c - 1] = "S", "E"
    return ["".join(row) for row in g]


def _maze_cases(rng):
    out = [lines("1 2", "SE"), lines("1 3", "S#E"), lines("3 3", "S..", "##.", "E..")]
    for r, c, p in ((6, 8, 0.25), (150, 150, 0.3)):
        out.append(lines(f"{r} {c}", *_maze(rng, r, c, p)))
    return out


def _dsu_cases(rng):
    out = [lines("1 0 1", "1 1"), lines("3 1 2", "1 2", "1 2", "2 3")]
    for n, m, q in ((10, 6, 10), (10000, 7000, 4000)):
        edges = [f"{rng.randint(1, n)} {rng.randint(1, n)}" for _ in range(m)]
        qs = [f"{rng.randint(1, n)} {rng.randint(1, n)}" for _ in range(q)]
        out.append(lines(f"{n} {m} {q}", *edges, *qs))
    return out


def _floyd_cases(rng):
    out = [lines("1 0 1", "1 1"), lines("2 1 2", "1 2 7", "1 2", "2 1")]
    for n, m, q in ((8, 15, 10), (150, 3000, 500)):
        edges = _random_graph(rng, n, m, directed=True, weights=(1, 1000))
        qs = [f"{rng.randint(1, n)} {rng.randint(1, n)}" for _ in range(q)]
        out.append(lines(f"{n} {m} {q}", *edges, *qs))
    return out


def _dag_cases(rng):
    out = [lines("1 0"), lines("3 0"), lines("3 3", "1 2", "2 3", "1 3")]
    for n, m in ((12, 20), (3000, 9000)):
        edges = set()
        while len(edges) < m:
            u, v = sorted(rng.sample(range(1, n + 1), 2))
            edges.add((u, v))
        out.append(lines(f"{n} {m}", *(f"{u} {v}" for u, v in sorted(edges, key=lambda e: rng.random()))))
    chain = [f"{i} {i + 1}" for i in range(1, 3000)]
    rng.shuffle(chain)
    out.append(lines("3000 2999", *chain))
    return out


def _tree_program(body: str) -> str:
    return with_lcg("n, d, seed = map(int, input().split())\ng = lcg(n, seed, d)\n"
                    "par = [0, 0] + [max(1, i - 1 - g[i - 1]) for i in range(2, n + 1)]\n" + src(body))


def _lca_program(body: str) -> str:
    return with_lcg("n, d, q, seed = map(int, input().split())\ng = lcg(n, seed, d)\n"
                    "par = [0, 0] + [max(1, i - 1 - g[i - 1]) for i in range(2, n + 1)]\n"
                    "b = lcg(2 * q, seed + 1, n)\n" + src(body))


def _edges_program(body: str) -> str:
    return with_lcg("n, m, seed = map(int, input().split())\n"
                    "A, B, C = lcg(m, seed, n), lcg(m, seed + 1, n), lcg(m, seed + 2, 1000)\n" + src(body))


PROBLEMS = [
    Problem(
        id="bfs-distance",
        title="Shortest path length",
        statement="""
            An undirected graph with n vertices and m edges. Print the fewest edges on a path
            from 1 to n, or -1 if there is none.
        """,
        samples=[(lines("5 5", "1 2", "2 5", "1 3", "3 4", "4 5"), lines(2)), (lines("3 1", "1 2"), lines(-1))],
        generate=_bfs_cases,
        correct="""
            import sys
            from collections import deque
            data = sys.stdin.buffer.read().split()
            n, m = int(data[0]), int(data[1])
            adj = [[] for _ in range(n + 1)]
            for i in range(m):
                u, v = int(data[2 + 2 * i]), int(data[3 + 2 * i])
                adj[u].append(v)
                adj[v].append(u)
            dist = [-1] * (n + 1)
            dist[1] = 0
            q = deque([1])
            while q:
                u = q.popleft()
                for v in adj[u]:
                    if dist[v] < 0:
                        dist[v] = dist[u] + 1
                        q.append(v)
            print(dist[n])
        """,
        programs=[
            bug("wrong_answer", "failed", """
                import sys
                data = sys.stdin.buffer.read().split()
                n, m = int(data[0]), int(data[1])
                adj = [[] for _ in range(n + 1)]
                for i in range(m):
                    u, v = int(data[2 + 2 * i]), int(data[3 + 2 * i])
                    adj[u].append(v)
                    adj[v].append(u)
                dist = [-1] * (n + 1)
                dist[1] = 0
                st = [1]
                while st:
                    u = st.pop()
                    for v in adj[u]:
                        if dist[v] < 0:
                            dist[v] = dist[u] + 1
                            st.append(v)
                print(dist[n])
            """, "a stack where a queue belongs: depths of a DFS"),
            bug("missing_output", "failed", """
                import sys
                from collections import deque
                data = sys.stdin.buffer.read().split()
                n, m = int(data[0]), int(data[1])
                adj = [[] for _ in range(n + 1)]
                for i in range(m):
                    u, v = int(data[2 + 2 * i]), int(data[3 + 2 * i])
                    adj[u].append(v)
                    adj[v].append(u)
                dist = {1: 0}
                q = deque([1])
                while q:
                    u = q.popleft()
                    for v in adj[u]:
                        if v not in dist:
                            dist[v] = dist[u] + 1
                            q.append(v)
                if n in dist:
                    print(dist[n])
            """, "prints nothing when n is unreachable"),
        ],
    ),
    Problem(
        id="dijkstra-generated",
        title="Shortest paths with weights (generated)",
        statement="""
            Input: n m seed. A, B and C are made with the shared rule from seed, seed + 1 and
            seed + 2 with m = n, n and 1000, where RULE; edge j goes from A_j + 1 to B_j + 1 with
            weight C_j + 1 (directed). Print the sum of the shortest distances from vertex 1 to
            every vertex it reaches (itself included, at 0) and the number of vertices it does not reach.
        """.replace("RULE", LCG_RULE),
        samples=[(lines("4 6 1"), _dijkstra_brute(lines("4 6 1"))), (lines("6 10 2"), _dijkstra_brute(lines("6 10 2")))],
        generate=_dijkstra_cases,
        cpu_limit=3.0,
        correct=_edges_program("""
            import heapq
            adj = [[] for _ in range(n + 1)]
            for u, v, w in zip(A, B, C):
                adj[u + 1].append((v + 1, w + 1))
            dist = [None] * (n + 1)
            heap = [(0, 1)]
            while heap:
                d, u = heapq.heappop(heap)
                if dist[u] is not None:
                    continue
                dist[u] = d
                for v, w in adj[u]:
                    if dist[v] is None:
                        heapq.heappush(heap, (d + w, v))
            reach = [x for x in dist[1:] if x is not None]
            print(sum(reach), n - len(reach))
        """),
        programs=[
            bug("wrong_answer", "failed", _edges_program("""
                from collections import deque
                adj = [[] for _ in range(n + 1)]
                for u, v, w in zip(A, B, C):
                    adj[u + 1].append((v + 1, w + 1))
                dist = [None] * (n + 1)
                dist[1] = 0
                q = deque([1])
                while q:
                    u = q.popleft()
                    for v, w in adj[u]:
                        if dist[v] is None:
                            dist[v] = dist[u] + w
                            q.append(v)
                reach = [x for x in dist[1:] if x is not None]
                print(sum(reach), n - len(reach))
            """), "BFS order: the first path found, not the shortest"),
            bug("too_slow", "timeout", _edges_program("""
                inf = float("inf")
                dist = [inf] * (n + 1)
                dist[1] = 0
                for _ in range(n - 1):
                    for u, v, w in zip(A, B, C):
                        if dist[u + 1] + w + 1 < dist[v + 1]:
                            dist[v + 1] = dist[u + 1] + w + 1
                reach = [x for x in dist[1:] if x < inf]
                print(sum(reach), n - len(reach))
            """), "Bellman-Ford for all n - 1 rounds"),
        ],
    ),
    Problem(
        id="grid-islands",
        title="Islands",
        statement="""
            An r x c grid of # (land) and . (water). Print the number of islands: groups of land
            cells joined through shared sides (not corners).
        """,
        samples=[(lines("3 4", "##..", "#..#", "..##"), lines(2)), (lines("2 2", "#.", ".#"), lines(2))],
        generate=_island_cases,
        correct="""
            import sys
            data = sys.stdin.read().split()
            r, c = int(data[0]), int(data[1])
            g = [list(row) for row in data[2:2 + r]]
            count = 0
            for i in range(r):
                for j in range(c):
                    if g[i][j] == "#":
                        count += 1
                        g[i][j] = "."
                        st = [(i, j)]
                        while st:
                            x, y = st.pop()
                            for nx, ny in ((x + 1, y), (x - 1, y), (x, y + 1), (x, y - 1)):
                                if 0 <= nx < r and 0 <= ny < c and g[nx][ny] == "#":
                                    g[nx][ny] = "."
                                    st.append((nx, ny))
            print(count)
        """,
        programs=[
            bug("wrong_answer", "failed", """
                import sys
                data = sys.stdin.read().split()
                r, c = int(data[0]), int(data[1])
                g = [list(row) for row in data[2:2 + r]]
                count = 0
                for i in range(r):
                    for j in range(c):
                        if g[i][j] == "#":
                            count += 1
                            g[i][j] = "."
                            st = [(i, j)]
                            while st:
                                x, y = st.pop()
                                for dx in (-1, 0, 1):
                                    for dy in (-1, 0, 1):
                                        nx, ny = x + dx, y + dy
                                        if 0 <= nx < r and 0 <= ny < c and g[nx][ny] == "#":
                                            g[nx][ny] = "."
                                            st.append((nx, ny))
                print(count)
            """, "joins diagonal neighbours too"),
            bug("runtime_error", "error", """
                import sys
                data = sys.stdin.read().split()
                r, c = int(data[0]), int(data[1])
                g = [list(row) for row in data[2:2 + r]]
                def sink(x, y):
                    if 0 <= x < r and 0 <= y < c and g[x][y] == "#":
                        g[x][y] = "."
                        sink(x + 1, y)
                        sink(x - 1, y)
                        sink(x, y + 1)
                        sink(x, y - 1)
                count = 0
                for i in range(r):
                    for j in range(c):
                        if g[i][j] == "#":
                            count += 1
                            sink(i, j)
                print(count)
            """, "recursive flood fill: RecursionError on a long snake of land"),
        ],
    ),
    Problem(
        id="topological-order",
        title="Smallest topological order",
        statement="""
            A directed graph with n vertices and m edges u v (u before v). Print the
            lexicographically smallest order of all vertices that respects every edge, or
            IMPOSSIBLE if there is a cycle.
        """,
        samples=[(lines("4 3", "4 2", "1 3", "3 2"), lines("1 3 4 2")), (lines("2 2", "1 2", "2 1"), lines("IMPOSSIBLE"))],
        generate=_topo_cases,
        correct="""
            import sys, heapq
            data = sys.stdin.buffer.read().split()
            n, m = int(data[0]), int(data[1])
            adj = [[] for _ in range(n + 1)]
            indeg = [0] * (n + 1)
            for i in range(m):
                u, v = int(data[2 + 2 * i]), int(data[3 + 2 * i])
                adj[u].append(v)
                indeg[v] += 1
            heap = [v for v in range(1, n + 1) if indeg[v] == 0]
            heapq.heapify(heap)
            order = []
            while heap:
                u = heapq.heappop(heap)
                order.append(u)
                for v in adj[u]:
                    indeg[v] -= 1
                    if indeg[v] == 0:
                        heapq.heappush(heap, v)
            print(*order) if len(order) == n else print("IMPOSSIBLE")
        """,
        programs=[
            bug("wrong_answer", "failed", """
                import sys
                from collections import deque
                data = sys.stdin.buffer.read().split()
                n, m = int(data[0]), int(data[1])
                adj = [[] for _ in range(n + 1)]
                indeg = [0] * (n + 1)
                for i in range(m):
                    u, v = int(data[2 + 2 * i]), int(data[3 + 2 * i])
                    adj[u].append(v)
                    indeg[v] += 1
                q = deque(v for v in range(1, n + 1) if indeg[v] == 0)
                order = []
                while q:
                    u = q.popleft()
                    order.append(u)
                    for v in adj[u]:
                        indeg[v] -= 1
                        if indeg[v] == 0:
                            q.append(v)
                print(*order) if len(order) == n else print("IMPOSSIBLE")
            """, "a plain queue: a valid order, not the smallest"),
            bug("wrong_answer", "failed", """
                import sys, heapq
                data = sys.stdin.buffer.read().split()
                n, m = int(data[0]), int(data[1])
                adj = [[] for _ in range(n + 1)]
                indeg = [0] * (n + 1)
                for i in range(m):
                    u, v = int(data[2 + 2 * i]), int(data[3 + 2 * i])
                    adj[u].append(v)
                    indeg[v] += 1
                heap = [v for v in range(1, n + 1) if indeg[v] == 0]
                heapq.heapify(heap)
                order = []
                while heap:
                    u = heapq.heappop(heap)
                    order.append(u)
                    for v in adj[u]:
                        indeg[v] -= 1
                        if indeg[v] == 0:
                            heapq.heappush(heap, v)
                print(*order)
            """, "prints a partial order instead of IMPOSSIBLE"),
        ],
    ),
    Problem(
        id="bipartite-graphs",
        title="Two colours",
        statement="""
            T graphs follow T; each starts with n m and lists m undirected edges. For each print
            YES if its vertices can be coloured with two colours so that every edge joins
            different colours, else NO (graphs need not be connected).
        """,
        samples=[(lines(2, "3 3", "1 2", "2 3", "1 3", "4 2", "1 2", "3 4"), lines("NO", "YES"))],
        generate=_bipartite_cases,
        correct="""
            import sys
            from collections import deque
            data = sys.stdin.buffer.read().split()
            pos = 1
            for _ in range(int(data[0])):
                n, m = int(data[pos]), int(data[pos + 1])
                pos += 2
                adj = [[] for _ in range(n + 1)]
                for _ in range(m):
                    u, v = int(data[pos]), int(data[pos + 1])
                    pos += 2
                    adj[u].append(v)
                    adj[v].append(u)
                colour = [-1] * (n + 1)
                good = True
                for s in range(1, n + 1):
                    if colour[s] >= 0:
                        continue
                    colour[s] = 0
                    q = deque([s])
                    while q and good:
                        u = q.popleft()
                        for v in adj[u]:
                            if colour[v] < 0:
                                colour[v] = 1 - colour[u]
                                q.append(v)
                            elif colour[v] == colour[u]:
                                good = False
                                break
                print("YES" if good else "NO")
        """,
        programs=[
            bug("wrong_answer", "failed", """
                import sys
                from collections import deque
                data = sys.stdin.buffer.read().split()
                pos = 1
                for _ in range(int(data[0])):
                    n, m = int(data[pos]), int(data[pos + 1])
                    pos += 2
                    adj = [[] for _ in range(n + 1)]
                    for _ in range(m):
                        u, v = int(data[pos]), int(data[pos + 1])
                        pos += 2
                        adj[u].append(v)
                        adj[v].append(u)
                    colour = [-1] * (n + 1)
                    colour[1] = 0
                    q = deque([1])
                    good = True
                    while q:
                        u = q.popleft()
                        for v in adj[u]:
                            if colour[v] < 0:
                                colour[v] = 1 - colour[u]
                                q.append(v)
                            elif colour[v] == colour[u]:
                                good = False
                    print("YES" if good else "NO")
            """, "colours only the component of vertex 1"),
            bug("wrong_answer", "failed", """
                import sys
                data = sys.stdin.buffer.read().split()
                pos = 1
                for _ in range(int(data[0])):
                    n, m = int(data[pos]), int(data[pos + 1])
                    pos += 2 + 2 * m
                    print("YES" if m < n else "NO")
            """, "guesses from the edge count"),
        ],
    ),
    Problem(
        id="tree-diameter",
        title="Tree diameter (generated)",
        statement="""
            Input: n d seed; a tree on vertices 1..n where TREE. Print the number of edges on
            its longest path.
        """.replace("TREE", TREE_RULE),
        samples=[(lines("6 2 1"), _diameter_brute(lines("6 2 1"))), (lines("9 4 7"), _diameter_brute(lines("9 4 7")))],
        generate=_diameter_cases,
        cpu_limit=2.0,
        correct=_tree_program("""
            from collections import deque
            adj = [[] for _ in range(n + 1)]
            for i in range(2, n + 1):
                adj[i].append(par[i])
                adj[par[i]].append(i)
            def farthest(s):
                dist = [-1] * (n + 1)
                dist[s] = 0
                q = deque([s])
                while q:
                    u = q.popleft()
                    for v in adj[u]:
                        if dist[v] < 0:
                            dist[v] = dist[u] + 1
                            q.append(v)
                far = max(range(1, n + 1), key=dist.__getitem__)
                return far, dist[far]
            print(farthest(farthest(1)[0])[1])
        """),
        programs=[
            bug("runtime_error", "error", _tree_program("""
                children = [[] for _ in range(n + 1)]
                for i in range(2, n + 1):
                    children[par[i]].append(i)
                best = 0
                def height(u):
                    global best
                    top = [0, 0]
                    for v in children[u]:
                        h = height(v) + 1
                        top = sorted(top + [h])[-2:]
                    best = max(best, top[0] + top[1])
                    return top[1]
                height(1)
                print(best)
            """), "recursive heights: RecursionError on a deep tree"),
            ok("variant", _tree_program("""
                import sys, threading
                sys.setrecursionlimit(1 << 20)
                threading.stack_size(1 << 27)
                def main():
                    children = [[] for _ in range(n + 1)]
                    for i in range(2, n + 1):
                        children[par[i]].append(i)
                    best = 0
                    def height(u):
                        nonlocal best
                        top = [0, 0]
                        for v in children[u]:
                            h = height(v) + 1
                            if h > top[1]:
                                top = [top[1], h]
                            elif h > top[0]:
                                top[0] = h
                        best = max(best, top[0] + top[1])
                        return top[1]
                    height(1)
                    print(best)
                t = threading.Thread(target=main)
                t.start()
                t.join()
            """), "the same recursion in a thread with a big stack and a raised limit"),
            bug("wrong_answer", "failed", _tree_program("""
                depth = [0] * (n + 1)
                for i in range(2, n + 1):
                    depth[i] = depth[par[i]] + 1
                print(max(depth))
            """), "the height from vertex 1, not the longest path"),
        ],
    ),
    Problem(
        id="lca-sum",
        title="Lowest common ancestors (generated)",
        statement="""
            Input: n d q seed; a tree rooted at 1 where TREE. b_1..b_2q are made by the same rule
            from seed + 1 with m = n; query j asks for the lowest common ancestor of b_2j-1 + 1
            and b_2j + 1. Print the sum of the answers.
        """.replace("TREE", TREE_RULE),
        samples=[(lines("7 2 5 3"), _lca_brute(lines("7 2 5 3")))],
        generate=_lca_cases,
        cpu_limit=3.0,
        correct=_lca_program("""
            LOG = max(1, n.bit_length())
            depth = [0] * (n + 1)
            for i in range(2, n + 1):
                depth[i] = depth[par[i]] + 1
            up = [par[:]]
            up[0][1] = 1
            for j in range(1, LOG):
                prev = up[-1]
                up.append([prev[prev[v]] for v in range(n + 1)])
            total = 0
            for j in range(q):
                u, v = b[2 * j] + 1, b[2 * j + 1] + 1
                if depth[u] < depth[v]:
                    u, v = v, u
                diff, k = depth[u] - depth[v], 0
                while diff:
                    if diff & 1:
                        u = up[k][u]
                    diff >>= 1
                    k += 1
                if u != v:
                    for k in range(LOG - 1, -1, -1):
                        if up[k][u] != up[k][v]:
                            u, v = up[k][u], up[k][v]
                    u = up[0][u]
                total += u
            print(total)
        """),
        programs=[
            bug("too_slow", "timeout", _lca_program("""
                total = 0
                for j in range(q):
                    u, v = b[2 * j] + 1, b[2 * j + 1] + 1
                    while u != v:
                        if u > v:
                            u = par[u]
                        else:
                            v = par[v]
                    total += u
                print(total)
            """), "climbs one parent at a time (parents have smaller labels)"),
            bug("wrong_answer", "failed", _lca_program("""
                total = 0
                for j in range(q):
                    u, v = b[2 * j] + 1, b[2 * j + 1] + 1
                    total += par[max(u, v)] if u != v else u
                print(total)
            """), "the parent of the deeper-labelled vertex"),
        ],
    ),
    Problem(
        id="minimum-spanning-tree",
        title="Minimum spanning tree",
        statement="""
            An undirected weighted graph with n vertices and m edges u v w. Print the total
            weight of a minimum spanning tree, or IMPOSSIBLE if the graph is not connected.
        """,
        samples=[(lines("4 5", "1 2 3", "2 3 1", "3 4 4", "1 4 2", "1 3 5"), lines(6)), (lines("3 1", "1 2 1"), lines("IMPOSSIBLE"))],
        generate=_mst_cases,
        correct="""
            import sys
            data = sys.stdin.buffer.read().split()
            n, m = int(data[0]), int(data[1])
            edges = sorted((int(data[4 + 3 * i]), int(data[2 + 3 * i]), int(data[3 + 3 * i])) for i in range(m))
            parent = list(range(n + 1))
            def find(x):
                while parent[x] != x:
                    parent[x] = parent[parent[x]]
                    x = parent[x]
                return x
            total, used = 0, 0
            for w, u, v in edges:
                a, b = find(u), find(v)
                if a != b:
                    parent[a] = b
                    total += w
                    used += 1
            print(total if used == n - 1 else "IMPOSSIBLE")
        """,
        programs=[
            bug("wrong_answer", "failed", """
                import sys
                data = sys.stdin.buffer.read().split()
                n, m = int(data[0]), int(data[1])
                edges = sorted((int(data[4 + 3 * i]), int(data[2 + 3 * i]), int(data[3 + 3 * i])) for i in range(m))
                seen = {1}
                total = 0
                for w, u, v in edges:
                    if len(seen) == n:
                        break
                    if u not in seen or v not in seen:
                        seen.update((u, v))
                        total += w
                print(total if len(seen) == n else "IMPOSSIBLE")
            """, "takes an edge whenever it touches a new vertex"),
            bug("wrong_answer", "failed", """
                import sys
                data = sys.stdin.buffer.read().split()
                n, m = int(data[0]), int(data[1])
                edges = sorted((int(data[4 + 3 * i]), int(data[2 + 3 * i]), int(data[3 + 3 * i])) for i in range(m))
                print(sum(w for w, _, _ in edges[:n - 1]) if m >= n - 1 else "IMPOSSIBLE")
            """, "the n - 1 lightest edges"),
        ],
    ),
    Problem(
        id="count-shortest-paths",
        title="Number of shortest paths",
        statement="""
            An undirected graph with n vertices and m edges. Print the number of shortest paths
            from 1 to n modulo 1000000007 (0 if n is unreachable).
        """,
        samples=[(lines("4 4", "1 2", "1 3", "2 4", "3 4"), lines(2)), (lines("2 0"), lines(0))],
        generate=_paths_cases,
        correct="""
            import sys
            from collections import deque
            data = sys.stdin.buffer.read().split()
            n, m = int(data[0]), int(data[1])
            adj = [[] for _ in range(n + 1)]
            for i in range(m):
                u, v = int(data[2 + 2 * i]), int(data[3 + 2 * i])
                adj[u].append(v)
                adj[v].append(u)
            dist = [-1] * (n + 1)
            ways = [0] * (n + 1)
            dist[1], ways[1] = 0, 1
            q = deque([1])
            while q:
                u = q.popleft()
                for v in adj[u]:
                    if dist[v] < 0:
                        dist[v] = dist[u] + 1
                        ways[v] = ways[u]
                        q.append(v)
                    elif dist[v] == dist[u] + 1:
                        ways[v] = (ways[v] + ways[u]) % 1000000007
            print(ways[n])
        """,
        programs=[
            bug("wrong_answer", "failed", """
                import sys
                from collections import deque
                data = sys.stdin.buffer.read().split()
                n, m = int(data[0]), int(data[1])
                adj = [[] for _ in range(n + 1)]
                for i in range(m):
                    u, v = int(data[2 + 2 * i]), int(data[3 + 2 * i])
                    adj[u].append(v)
                    adj[v].append(u)
                dist = [-1] * (n + 1)
                ways = [0] * (n + 1)
                dist[1], ways[1] = 0, 1
                q = deque([1])
                while q:
                    u = q.popleft()
                    for v in adj[u]:
                        if dist[v] < 0:
                            dist[v] = dist[u] + 1
                            ways[v] = ways[u]
                            q.append(v)
                        elif dist[v] == dist[u] + 1:
                            ways[v] += ways[u]
                print(ways[n])
            """, "forgets the modulus"),
            bug("wrong_answer", "failed", """
                import sys
                from collections import deque
                data = sys.stdin.buffer.read().split()
                n, m = int(data[0]), int(data[1])
                adj = [[] for _ in range(n + 1)]
                for i in range(m):
                    u, v = int(data[2 + 2 * i]), int(data[3 + 2 * i])
                    adj[u].append(v)
                    adj[v].append(u)
                dist = [-1] * (n + 1)
                ways = [0] * (n + 1)
                dist[1], ways[1] = 0, 1
                q = deque([1])
                while q:
                    u = q.popleft()
                    for v in adj[u]:
                        if dist[v] < 0:
                            dist[v] = dist[u] + 1
                            q.append(v)
                        if dist[v] == dist[u] + 1:
                            ways[v] = (ways[v] + 1) % 1000000007
                print(ways[n])
            """, "counts incoming shortest edges, not paths"),
        ],
    ),
    Problem(
        id="knight-moves",
        title="Knight moves",
        statement="""
            For each query N x1 y1 x2 y2 print the fewest knight moves from (x1, y1) to (x2, y2)
            on an N x N board (coordinates 1..N), or -1 if impossible.
        """,
        samples=[(lines(2, "8 1 1 8 8", "8 1 1 2 3"), lines(6, 1))],
        generate=_knight_cases,
        cpu_limit=2.0,
        correct="""
            from collections import deque
            t = int(input())
            for _ in range(t):
                n, x1, y1, x2, y2 = map(int, input().split())
                dist = [[-1] * (n + 1) for _ in range(n + 1)]
                dist[x1][y1] = 0
                q = deque([(x1, y1)])
                while q and dist[x2][y2] < 0:
                    x, y = q.popleft()
                    for dx, dy in ((1, 2), (2, 1), (-1, 2), (-2, 1), (1, -2), (2, -1), (-1, -2), (-2, -1)):
                        a, b = x + dx, y + dy
                        if 1 <= a <= n and 1 <= b <= n and dist[a][b] < 0:
                            dist[a][b] = dist[x][y] + 1
                            q.append((a, b))
                print(dist[x2][y2])
        """,
        programs=[
            bug("runtime_error", "error", """
                from collections import deque
                t = int(input())
                for _ in range(t):
                    n, x1, y1, x2, y2 = map(int, input().split())
                    dist = [[-1] * n for _ in range(n)]
                    dist[x1][y1] = 0
                    q = deque([(x1, y1)])
                    while q and dist[x2][y2] < 0:
                        x, y = q.popleft()
                        for dx, dy in ((1, 2), (2, 1), (-1, 2), (-2, 1), (1, -2), (2, -1), (-1, -2), (-2, -1)):
                            a, b = x + dx, y + dy
                            if 0 <= a < n and 0 <= b < n and dist[a][b] < 0:
                                dist[a][b] = dist[x][y] + 1
                                q.append((a, b))
                    print(dist[x2][y2])
            """, "1-based coordinates into a 0-based board: IndexError at the edge"),
            bug("wrong_answer", "failed", """
                t = int(input())
                for _ in range(t):
                    n, x1, y1, x2, y2 = map(int, input().split())
                    dx, dy = abs(x1 - x2), abs(y1 - y2)
                    print((max(dx, dy) + 1) // 2 if (dx, dy) != (0, 0) else 0)
            """, "a formula that ignores the board and parity"),
        ],
    ),
    Problem(
        id="directed-cycle",
        title="Is there a cycle?",
        statement="""
            A directed graph with n vertices and m edges (self-loops possible). Print YES if it
            has a directed cycle, else NO.
        """,
        samples=[(lines("3 3", "1 2", "2 3", "3 1"), lines("YES")), (lines("3 3", "1 2", "2 3", "1 3"), lines("NO"))],
        generate=_cycle_cases,
        correct="""
            import sys
            from collections import deque
            data = sys.stdin.buffer.read().split()
            n, m = int(data[0]), int(data[1])
            adj = [[] for _ in range(n + 1)]
            indeg = [0] * (n + 1)
            for i in range(m):
                u, v = int(data[2 + 2 * i]), int(data[3 + 2 * i])
                adj[u].append(v)
                indeg[v] += 1
            q = deque(v for v in range(1, n + 1) if indeg[v] == 0)
            seen = 0
            while q:
                u = q.popleft()
                seen += 1
                for v in adj[u]:
                    indeg[v] -= 1
                    if indeg[v] == 0:
                        q.append(v)
            print("YES" if seen < n else "NO")
        """,
        programs=[
            bug("wrong_answer", "failed", """
                import sys
                data = sys.stdin.buffer.read().split()
                n, m = int(data[0]), int(data[1])
                adj = [[] for _ in range(n + 1)]
                for i in range(m):
                    u, v = int(data[2 + 2 * i]), int(data[3 + 2 * i])
                    adj[u].append(v)
                seen = [False] * (n + 1)
                cycle = False
                for s in range(1, n + 1):
                    if seen[s]:
                        continue
                    st = [s]
                    seen[s] = True
                    while st:
                        u = st.pop()
                        for v in adj[u]:
                            if seen[v]:
                                cycle = True
                            else:
                                seen[v] = True
                                st.append(v)
                print("YES" if cycle else "NO")
            """, "any visited vertex counts as a cycle (the undirected test)"),
            bug("wrong_answer", "failed", """
                import sys
                data = sys.stdin.buffer.read().split()
                n, m = int(data[0]), int(data[1])
                print("YES" if m >= n else "NO")
            """, "guesses from the edge count"),
        ],
    ),
    Problem(
        id="maze-steps",
        title="Through the maze",
        statement="""
            An r x c maze of . (free), # (wall), S (start) and E (exit). Moving one step up, down,
            left or right, print the fewest steps from S to E, or -1.
        """,
        samples=[(lines("3 4", "S.#.", ".##.", "...E"), lines(5))],
        generate=_maze_cases,
        correct="""
            import sys
            from collections import deque
            data = sys.stdin.read().split()
            r, c = int(data[0]), int(data[1])
            g = data[2:2 + r]
            for i, row in enumerate(g):
                if "S" in row:
                    s = (i, row.index("S"))
                if "E" in row:
                    e = (i, row.index("E"))
            dist = {s: 0}
            q = deque([s])
            while q:
                x, y = q.popleft()
                for nx, ny in ((x + 1, y), (x - 1, y), (x, y + 1), (x, y - 1)):
                    if 0 <= nx < r and 0 <= ny < c and g[nx][ny] != "#" and (nx, ny) not in dist:
                        dist[(nx, ny)] = dist[(x, y)] + 1
                        q.append((nx, ny))
            print(dist.get(e, -1))
        """,
        programs=[
            bug("runtime_error", "error", """
                import sys
                from collections import deque
                data = sys.stdin.read().split()
                r, c = int(data[0]), int(data[1])
                g = data[2:2 + r]
                s = next((i, row.index("S")) for i, row in enumerate(g) if "S" in row)
                e = next((i, row.index("E")) for i, row in enumerate(g) if "E" in row)
                dist = {s: 0}
                q = deque([s])
                while q:
                    x, y = q.popleft()
                    for nx, ny in ((x + 1, y), (x - 1, y), (x, y + 1), (x, y - 1)):
                        if 0 <= nx < r and 0 <= ny < c and g[nx][ny] != "#" and (nx, ny) not in dist:
                            dist[(nx, ny)] = dist[(x, y)] + 1
                            q.append((nx, ny))
                print(dist[e])
            """, "KeyError when the exit is unreachable"),
            bug("wrong_answer", "failed", """
                import sys
                data = sys.stdin.read().split()
                r, c = int(data[0]), int(data[1])
                g = data[2:2 + r]
                s = next((i, row.index("S")) for i, row in enumerate(g) if "S" in row)
                e = next((i, row.index("E")) for i, row in enumerate(g) if "E" in row)
                print(abs(s[0] - e[0]) + abs(s[1] - e[1]))
            """, "Manhattan distance ignores walls"),
        ],
    ),
    Problem(
        id="connectivity-queries",
        title="Connected?",
        statement="""
            n vertices, m undirected edges, then q queries u v. For each query print YES if u and
            v are connected, else NO.
        """,
        samples=[(lines("4 2 3", "1 2", "3 4", "1 2", "1 3", "4 3"), lines("YES", "NO", "YES"))],
        generate=_dsu_cases,
        correct="""
            import sys
            data = sys.stdin.buffer.read().split()
            n, m, q = int(data[0]), int(data[1]), int(data[2])
            parent = list(range(n + 1))
            def find(x):
                while parent[x] != x:
                    parent[x] = parent[parent[x]]
                    x = parent[x]
                return x
            pos = 3
            for _ in range(m):
                a, b = find(int(data[pos])), find(int(data[pos + 1]))
                parent[a] = b
                pos += 2
            out = []
            for _ in range(q):
                out.append("YES" if find(int(data[pos])) == find(int(data[pos + 1])) else "NO")
                pos += 2
            print("\\n".join(out))
        """,
        programs=[
            bug("wrong_answer", "failed", """
                import sys
                data = sys.stdin.buffer.read().split()
                n, m, q = int(data[0]), int(data[1]), int(data[2])
                parent = list(range(n + 1))
                def find(x):
                    while parent[x] != x:
                        x = parent[x]
                    return x
                pos = 3
                for _ in range(m):
                    parent[int(data[pos])] = find(int(data[pos + 1]))
                    pos += 2
                out = []
                for _ in range(q):
                    out.append("YES" if find(int(data[pos])) == find(int(data[pos + 1])) else "NO")
                    pos += 2
                print("\\n".join(out))
            """, "links vertices, not their roots"),
            bug("too_slow", "timeout", """
                import sys
                data = sys.stdin.buffer.read().split()
                n, m, q = int(data[0]), int(data[1]), int(data[2])
                adj = [[] for _ in range(n + 1)]
                pos = 3
                for _ in range(m):
                    u, v = int(data[pos]), int(data[pos + 1])
                    adj[u].append(v)
                    adj[v].append(u)
                    pos += 2
                for _ in range(q):
                    u, v = int(data[pos]), int(data[pos + 1])
                    pos += 2
                    seen, st = {u}, [u]
                    while st:
                        x = st.pop()
                        for y in adj[x]:
                            if y not in seen:
                                seen.add(y)
                                st.append(y)
                    print("YES" if v in seen else "NO")
            """, "a search per query"),
        ],
    ),
    Problem(
        id="all-pairs-distances",
        title="All-pairs shortest paths",
        statement="""
            A directed weighted graph with n <= 150 vertices and m edges, then q queries u v.
            For each print the shortest distance from u to v, or -1 if unreachable.
        """,
        samples=[(lines("3 3 3", "1 2 4", "2 3 1", "1 3 7", "1 3", "3 1", "2 2"), lines(5, -1, 0))],
        generate=_floyd_cases,
        cpu_limit=3.0,
        correct="""
            import sys
            from itertools import repeat
            from operator import add
            data = sys.stdin.buffer.read().split()
            n, m, q = int(data[0]), int(data[1]), int(data[2])
            INF = float("inf")
            d = [[INF] * n for _ in range(n)]
            for i in range(n):
                d[i][i] = 0
            pos = 3
            for _ in range(m):
                u, v, w = int(data[pos]) - 1, int(data[pos + 1]) - 1, int(data[pos + 2])
                d[u][v] = min(d[u][v], w)
                pos += 3
            for k in range(n):
                dk = d[k]
                for i in range(n):
                    dik = d[i][k]
                    if dik < INF:
                        d[i] = list(map(min, d[i], map(add, repeat(dik), dk)))
            out = []
            for _ in range(q):
                x = d[int(data[pos]) - 1][int(data[pos + 1]) - 1]
                out.append(str(x) if x < INF else "-1")
                pos += 2
            print("\\n".join(out))
        """,
        programs=[
            ok("variant", """
                import sys
                data = sys.stdin.buffer.read().split()
                n, m, q = int(data[0]), int(data[1]), int(data[2])
                INF = float("inf")
                d = [[INF] * n for _ in range(n)]
                for i in range(n):
                    d[i][i] = 0
                pos = 3
                for _ in range(m):
                    u, v, w = int(data[pos]) - 1, int(data[pos + 1]) - 1, int(data[pos + 2])
                    d[u][v] = min(d[u][v], w)
                    pos += 3
                for k in range(n):
                    for i in range(n):
                        for j in range(n):
                            if d[i][k] + d[k][j] < d[i][j]:
                                d[i][j] = d[i][k] + d[k][j]
                out = []
                for _ in range(q):
                    x = d[int(data[pos]) - 1][int(data[pos + 1]) - 1]
                    out.append(str(x) if x < INF else "-1")
                    pos += 2
                print("\\n".join(out))
            """, "Floyd-Warshall's three plain loops"),
            bug("wrong_answer", "failed", """
                import sys
                data = sys.stdin.buffer.read().split()
                n, m, q = int(data[0]), int(data[1]), int(data[2])
                INF = float("inf")
                d = [[INF] * n for _ in range(n)]
                for i in range(n):
                    d[i][i] = 0
                pos = 3
                for _ in range(m):
                    u, v, w = int(data[pos]) - 1, int(data[pos + 1]) - 1, int(data[pos + 2])
                    d[u][v] = min(d[u][v], w)
                    pos += 3
                for i in range(n):
                    for j in range(n):
                        for k in range(n):
                            if d[i][k] + d[k][j] < d[i][j]:
                                d[i][j] = d[i][k] + d[k][j]
                out = []
                for _ in range(q):
                    x = d[int(data[pos]) - 1][int(data[pos + 1]) - 1]
                    out.append(str(x) if x < INF else "-1")
                    pos += 2
                print("\\n".join(out))
            """, "the intermediate vertex loop innermost"),
            bug("wrong_format", "failed", """
                import sys
                data = sys.stdin.buffer.read().split()
                n, m, q = int(data[0]), int(data[1]), int(data[2])
                INF = float("inf")
                d = [[INF] * n for _ in range(n)]
                for i in range(n):
                    d[i][i] = 0
                pos = 3
                for _ in range(m):
                    u, v, w = int(data[pos]) - 1, int(data[pos + 1]) - 1, int(data[pos + 2])
                    d[u][v] = min(d[u][v], w)
                    pos += 3
                for k in range(n):
                    dk = d[k]
                    for i in range(n):
                        dik = d[i][k]
                        if dik < INF:
                            d[i] = list(map(min, d[i], [dik + x for x in dk]))
                for _ in range(q):
                    print(d[int(data[pos]) - 1][int(data[pos + 1]) - 1])
                    pos += 2
            """, "prints inf for unreachable pairs"),
        ],
    ),
    Problem(
        id="dag-longest-path",
        title="Longest path in a DAG",
        statement="""
            A directed acyclic graph with n vertices and m edges u v (u < v always). Print the
            number of edges on its longest path.
        """,
        samples=[(lines("5 5", "1 2", "2 3", "1 3", "3 5", "4 5"), lines(3))],
        generate=_dag_cases,
        correct="""
            import sys
            data = sys.stdin.buffer.read().split()
            n, m = int(data[0]), int(data[1])
            into = [[] for _ in range(n + 1)]
            for i in range(m):
                u, v = int(data[2 + 2 * i]), int(data[3 + 2 * i])
                into[v].append(u)
            best = [0] * (n + 1)
            for v in range(1, n + 1):
                for u in into[v]:
                    if best[u] + 1 > best[v]:
                        best[v] = best[u] + 1
            print(max(best))
        """,
        programs=[
            bug("wrong_answer", "failed", """
                import sys
                from collections import deque
                data = sys.stdin.buffer.read().split()
                n, m = int(data[0]), int(data[1])
                adj = [[] for _ in range(n + 1)]
                indeg = [0] * (n + 1)
                for i in range(m):
                    u, v = int(data[2 + 2 * i]), int(data[3 + 2 * i])
                    adj[u].append(v)
                    indeg[v] += 1
                level = [0] * (n + 1)
                seen = [False] * (n + 1)
                q = deque(v for v in range(1, n + 1) if indeg[v] == 0)
                for v in q:
                    seen[v] = True
                while q:
                    u = q.popleft()
                    for v in adj[u]:
                        if not seen[v]:
                            seen[v] = True
                            level[v] = level[u] + 1
                            q.append(v)
                print(max(level))
            """, "BFS levels: the first path to a vertex, not the longest"),
            bug("runtime_error", "error", """
                import sys
                from functools import lru_cache
                data = sys.stdin.buffer.read().split()
                n, m = int(data[0]), int(data[1])
                out = [[] for _ in range(n + 1)]
                for i in range(m):
                    out[int(data[2 + 2 * i])].append(int(data[3 + 2 * i]))
                @lru_cache(maxsize=None)
                def longest(u):
                    return max((longest(v) + 1 for v in out[u]), default=0)
                print(max(longest(v) for v in range(1, n + 1)))
            """, "memoised recursion: RecursionError on a long chain"),
        ],
    ),
]
