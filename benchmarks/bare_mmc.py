"""A bare SimPy M/M/c script, as lean as SimPy allows: the reference of figure (k), time to an answer.

    python benchmarks/bare_mmc.py [customers] [seed]

It does what a user's own script would do, as a whole process: import numpy and SimPy, draw the
inter-arrival gaps and service times up front, run the M/M/10 queue of figure (a) with request
and timeout callbacks (no process per customer), and print the mean wait. benchmarks/run.py
times it as a whole process against `crisis-sim run` on the same queue, alternating the two.
"""

import sys

import numpy as np
import simpy

SERVERS, SERVICE_MIN, RATE_PER_MIN = 10, 10.0, 0.8


def main(n: int, seed: int) -> float:
    rng = np.random.default_rng(seed)
    gaps = rng.exponential(1 / RATE_PER_MIN, n).tolist()
    services = rng.exponential(SERVICE_MIN, n).tolist()
    env = simpy.Environment()
    servers = simpy.Resource(env, capacity=SERVERS)
    total_wait = [0.0]

    def arrivals():
        for gap, service in zip(gaps, services):
            yield env.timeout(gap)
            req = servers.request()
            req.callbacks.append(lambda ev, arrived=env.now, service=service: start(ev, arrived, service))

    def start(req, arrived, service):
        total_wait[0] += env.now - arrived
        env.timeout(service).callbacks.append(lambda _ev: servers.release(req))

    env.process(arrivals())
    env.run()
    return total_wait[0] / n


if __name__ == "__main__":
    customers = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    print(f"mean wait {main(customers, int(sys.argv[2]) if len(sys.argv) > 2 else 2026):.3f} min")
