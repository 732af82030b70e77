"""Inner grids for GLASS's inner ODE (numpy prototype; the figures behind docs/benchmarks.md,
"Inner solvers"). 3-D Gaussian mixture with its exact denoiser, CondOT schedule, one x_t and 300
start noises; pathwise RMS error against a fine Euler solution (8192 steps) of the same inner ODE,
for Adams-Bashforth of order 1-3 on five inner grids at 2/4/8/16 calls.

usage: .venv/bin/python bench/inner_grid_prototype.py
"""
import numpy as np

PIS = np.array([0.3, 0.5, 0.2])
MEANS = np.array([[2, -1, 0.5], [-1.5, 1, 0], [0, 0, -2.0]])
STDS = np.array([0.3, 0.5, 0.2])


def denoise(x, t):  # exact E[z | x_t = x] for alpha = t, sigma = 1 - t; x [n, d]
    a, s = t, 1 - t
    var = a ** 2 * STDS ** 2 + s ** 2
    diff = x[:, None, :] - a * MEANS[None]
    logp = np.log(PIS) - 0.5 * 3 * np.log(var) - 0.5 * (diff ** 2).sum(-1) / var
    r = np.exp(logp - logp.max(1, keepdims=True))
    r /= r.sum(1, keepdims=True)
    return (r[:, :, None] * (MEANS[None] + (a * STDS ** 2 / var)[None, :, None] * diff)).sum(1)


def inner_velocity(t, t_next, rho, x):
    gam = rho * (1 - t_next) / (1 - t)
    abar, sbar = t_next - gam * t, (1 - t_next) * np.sqrt(1 - rho ** 2)

    def u(s, y):  # y = xbar - gam x; CondOT inner path with sbar_init = 1
        a_s, b_s = s * abar, (1 - s) + s * sbar
        lam = (t / (1 - t)) ** 2 + (a_s / b_s) ** 2
        tstar = min(1 / (1 + np.sqrt(1 / lam)), 1 - 1e-7)
        pooled = (t / (1 - t) ** 2 * x + a_s / b_s ** 2 * y) / lam
        return (sbar - 1) / b_s * y + abar / b_s * denoise(tstar * pooled, tstar)

    def t_star(s):
        lam = (t / (1 - t)) ** 2 + (s * abar / ((1 - s) + s * sbar)) ** 2
        return np.minimum(1 / (1 + np.sqrt(1 / lam)), 1 - 1e-7)

    return u, t_star


def grid(kind, M, t_star):
    u = np.linspace(0, 1, M + 1)
    if kind == "uniform":
        return u
    if kind.startswith("pow"):
        return 1 - (1 - u) ** float(kind[3:])
    fine = np.linspace(0, 1, 20001)
    ts = t_star(fine)
    by_tstar = np.interp(ts[0] + (ts[-1] - ts[0]) * u, ts, fine)
    return by_tstar if kind == "tstar" else 0.5 * (by_tstar + u)


def adams_bashforth(u, y, nodes, order):
    history = []
    gauss, weights = np.polynomial.legendre.leggauss(4)
    for j in range(len(nodes) - 1):
        s, s_next = nodes[j], nodes[j + 1]
        history = (history + [(s, u(s, y))])[-order:]
        q = 0.5 * (s_next - s) * gauss + 0.5 * (s + s_next)
        for i, (si, vi) in enumerate(history):  # integrate the Lagrange basis over [s, s_next]
            basis = np.ones_like(q)
            for k, (sk, _) in enumerate(history):
                if k != i:
                    basis *= (q - sk) / (si - sk)
            y = y + 0.5 * (s_next - s) * (weights * basis).sum() * vi
    return y


if __name__ == "__main__":
    x = np.array([0.3, 0.1, -0.2])
    eps = np.random.default_rng(1).standard_normal((300, 3))
    for t, t_next, rho in [(0.3, 0.7, 0.4), (0.6, 0.95, 0.8), (0.2, 0.6, -0.3), (0.3, 1.0, 0.0), (0.05, 0.3, 0.4)]:
        u, t_star = inner_velocity(t, t_next, rho, x)
        fine = adams_bashforth(u, eps.copy(), np.linspace(0, 1, 8193), 1)
        print(f"{t} -> {t_next}, rho {rho}")
        for order in (1, 2, 3):
            for kind in ("uniform", "pow1.5", "pow2", "tstar", "half"):
                errs = [np.sqrt(((adams_bashforth(u, eps.copy(), grid(kind, M, t_star), order) - fine) ** 2).sum(1).mean())
                        for M in (2, 4, 8, 16)]
                print(f"  AB{order} {kind:8s} calls 2/4/8/16: " + " ".join(f"{e:.4f}" for e in errs))
