"""Independent reference for GLASS's inner ODE solvers (test_inner_solvers.cpp).

Written from the spec (sections 3-5), not from the C++: the exact denoiser of an isotropic
Gaussian mixture, the GLASS velocity u_s = w1 xbar + w2 Dbar + w3 x_t with the precision-pooled
denoiser, and each solver in its textbook form on the uniform inner grid s_j = j / M. Particles are
handled one at a time, in float64.

usage: glass_inner_solvers.py DIR   (reads DIR/case.json, x.npy, eps.npy; writes DIR/out_<solver>.npy)
"""
import json
import math
import sys

import numpy as np


def schedule(name):
    if name == "condot":
        return (lambda t: t), (lambda t: 1.0 - t), (lambda r: 1.0 / (1.0 + math.sqrt(r)))
    if name == "cosine":
        return (lambda t: math.sin(math.pi * t / 2)), (lambda t: math.cos(math.pi * t / 2)), \
            (lambda r: 2.0 / math.pi * math.atan(1.0 / math.sqrt(r)))
    raise ValueError(name)


def mixture_denoiser(mix, alpha, sigma, x):
    means, stds, weights = np.array(mix["means"]), np.array(mix["stds"]), np.array(mix["weights"])
    weights = weights / weights.sum()
    d = x.shape[0]
    var = alpha ** 2 * stds ** 2 + sigma ** 2
    diff = x[None, :] - alpha * means
    logp = np.log(weights) - 0.5 * d * np.log(var) - 0.5 * (diff ** 2).sum(1) / var
    r = np.exp(logp - logp.max())
    r /= r.sum()
    post_means = means + (alpha * stds ** 2 / var)[:, None] * diff
    return (r[:, None] * post_means).sum(0)


def glass_velocity_factory(mix, sched, t, t_next, rho, x):
    alpha, sigma, inv_g = sched
    gam = rho * sigma(t_next) / sigma(t)
    abar = alpha(t_next) - gam * alpha(t)
    sbar = sigma(t_next) * math.sqrt(1 - rho ** 2)

    def velocity(s, xbar):
        a_s, b_s = s * abar, (1 - s) + s * sbar           # CondOT inner path, sbar_init = 1
        da, db = abar, sbar - 1.0
        # Dbar = E[z | x_t, xbar_s]: two independent Gaussian measurements of z, pooled by precision.
        y = xbar - gam * x
        prec = (alpha(t) / sigma(t)) ** 2 + (a_s / b_s) ** 2
        if prec == 0.0:
            tstar, inp = 0.0, x / sigma(t)
        else:
            pooled = (alpha(t) / sigma(t) ** 2 * x + a_s / b_s ** 2 * y) / prec
            tstar = min(inv_g(1.0 / prec), 1 - 1e-7)
            inp = alpha(tstar) * pooled
        dbar = mixture_denoiser(mix, alpha(tstar), sigma(tstar), inp)
        # u = d/ds (a_s z + gam x + b_s eps) with z -> Dbar, eps -> (y - a_s Dbar) / b_s
        return da * dbar + db * (y - a_s * dbar) / b_s

    return gam, velocity


def solve(solver, velocity, gam, x, eps, M, singular_end):
    h = 1.0 / M
    xbar = gam * x + eps
    if solver == "euler":
        for j in range(M):
            xbar = xbar + h * velocity(j * h, xbar)
    elif solver in ("midpoint", "heun"):
        for j in range(M):
            s = j * h
            k1 = velocity(s, xbar)
            last_singular = j == M - 1 and singular_end
            if solver == "heun" and not last_singular:
                k2 = velocity(s + h, xbar + h * k1)
                xbar = xbar + h / 2 * (k1 + k2)
            else:
                xbar = xbar + h * velocity(s + h / 2, xbar + h / 2 * k1)
    elif solver == "ab2":
        prev = None
        for j in range(M):
            k = velocity(j * h, xbar)
            xbar = xbar + (h * k if prev is None else h * (1.5 * k - 0.5 * prev))
            prev = k
    elif solver == "pc3":
        # AB2 predictor; the velocity at the predicted point corrects the previous step with
        # Adams-Moulton (trapezoid with two velocities, 5/12, 8/12, -1/12 with three).
        ks, start = [], None
        for j in range(M):
            k = velocity(j * h, xbar)
            ks.append(k)
            if j == 1:
                xbar = start + h / 2 * (ks[0] + ks[1])
            elif j >= 2:
                xbar = start + h / 12 * (5 * ks[j] + 8 * ks[j - 1] - ks[j - 2])
            start = xbar
            xbar = xbar + (h * k if j == 0 else h * (1.5 * ks[j] - 0.5 * ks[j - 1]))
    else:
        raise ValueError(solver)
    return xbar


if __name__ == "__main__":
    out_dir = sys.argv[1]
    case = json.load(open(f"{out_dir}/case.json"))
    x_all, eps_all = np.load(f"{out_dir}/x.npy").astype(np.float64), np.load(f"{out_dir}/eps.npy").astype(np.float64)
    sched = schedule(case["schedule"])
    for solver in case["solvers"]:
        out = np.empty_like(x_all)
        for i in range(x_all.shape[0]):
            t, t_next = case["t"][i], case["t_next"][i]
            singular_end = t_next == 1.0  # the inner noise vanishes at s = 1
            gam, velocity = glass_velocity_factory(case["mixture"], sched, t, t_next, case["rho"], x_all[i])
            out[i] = solve(solver, velocity, gam, x_all[i], eps_all[i], case["M"], singular_end)
        np.save(f"{out_dir}/out_{solver}.npy", out)
