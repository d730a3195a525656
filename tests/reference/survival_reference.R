#!/usr/bin/env Rscript
# Reference values from R's survival package for tests/test_survival.py and
# tests/test_comparison.py (the tests read the CSVs written here; they never run R).
#
# Rerun from the repository root:
#     Rscript tests/reference/survival_reference.R
# Needs R >= 4.1 with the survival package (made with R 4.2.2, survival 3.5-3).
#
# Inputs (committed):
#   survival_hand_frame.csv       20 hand-checkable journeys: tied times, day-0 events,
#                                 late entry (entry_days > 0), an all-censored group (12+)
#   survival_synthetic_frame.csv  analysis frame of three authorities from the synthetic
#                                 generator (made by survival_synthetic_frame.py)
#   plus a 4-row "flat" data set defined below (S = 0.5 on a flat step)
# Outputs (numbers printed with 17 significant digits):
#   survival_ref_km.csv      survfit(conf.type = "log-log") curves, summary(censored = TRUE)
#   survival_ref_summary.csv print(survfit, rmean = tau) table: median, CI, rmean, se(rmean)
#   survival_ref_times.csv   summary(survfit, times = ...): n.risk, surv, lower, upper
#   survival_ref_tests.csv   survdiff log-rank, trend test, pairwise log-rank + Holm
#   survival_ref_cox.csv     coxph (Efron ties) coefficients
#   survival_ref_zph.csv     cox.zph tests (transform km, rank, identity)
#
# Variants: "rc" ignores entry_days (right-censored data, Surv(time, event)); "lt" uses late
# entry, Surv(start, time, event) with start = entry_days for late entrants and -0.5 for
# everyone else, so that journeys with entry_days = 0 are at risk at time 0 (day-0 events)
# and late entrants are at risk on (entry_days, time_days], the library's convention.
# survdiff does not accept counting-process data, so the "lt" log-rank statistics are
# computed below from the risk sets with the same formulas as survdiff (hypergeometric
# variance); the "lt" Kaplan-Meier and Cox values come straight from survfit and coxph.

suppressPackageStartupMessages(library(survival))
dir <- file.path("tests", "reference")
stopifnot(dir.exists(dir))
AGE_LEVELS <- c("under 1", "1-4", "5-11", "12+")

fmt <- function(df) {
  for (n in names(df)) {
    if (is.numeric(df[[n]])) {
      df[[n]] <- ifelse(is.na(df[[n]]), "NA", sprintf("%.17g", df[[n]]))
    }
  }
  df
}
save <- function(rows, name) {
  df <- do.call(rbind, rows)
  write.csv(fmt(df), file.path(dir, name), row.names = FALSE)
  cat("wrote", name, nrow(df), "rows\n")
}

read_frame <- function(name) {
  d <- read.csv(file.path(dir, name), stringsAsFactors = FALSE, check.names = FALSE)
  d$event <- as.integer(d$event_observed %in% c("True", "TRUE", "true", "1"))
  d$start <- ifelse(d$entry_days > 0, d$entry_days, -0.5)
  d$age_group <- factor(d$age_group, levels = AGE_LEVELS)
  d
}

hand <- read_frame("survival_hand_frame.csv")
synth <- read_frame("survival_synthetic_frame.csv")
flat <- data.frame(time_days = c(10, 20, 30, 40), event = c(1, 1, 0, 1), entry_days = 0,
                   start = -0.5, grp = "flat")
datasets <- list(hand = hand, synthetic = synth, flat = flat)

surv_formula <- function(variant, by) {
  lhs <- if (variant == "lt") "Surv(start, time_days, event)" else "Surv(time_days, event)"
  as.formula(paste(lhs, "~", if (is.null(by)) "1" else paste0("`", by, "`")))
}
group_labels <- function(fit, n, by) {
  if (is.null(fit$strata)) return(rep("All", n))
  sub(paste0("^`?", by, "`?="), "", rep(names(fit$strata), fit$strata))
}
strata_labels <- function(labels, by) {
  if (is.null(by)) return("All")
  sub(paste0("^`?", by, "`?="), "", labels)
}

km_rows <- list(); sum_rows <- list(); time_rows <- list()
tests <- list(); cox_rows <- list(); zph_rows <- list()
TAU <- c(hand = 365, synthetic = 1461, flat = 35)
TIMES <- list(hand = c(0, 30, 45, 365.25, 600), synthetic = c(0, 365.25, 730.5, 1461),
              flat = c(0, 20, 25))
BYS <- list(hand = list(NULL, "age_group", "authority"),
            synthetic = list(NULL, "age_group", "authority"),
            flat = list(NULL))

for (ds in names(datasets)) {
  d <- datasets[[ds]]
  for (variant in c("rc", "lt")) {
    for (by in BYS[[ds]]) {
      byname <- if (is.null(by)) "" else by
      fit <- survfit(surv_formula(variant, by), data = d, conf.type = "log-log")
      s <- summary(fit, censored = TRUE)
      grp <- if (is.null(s$strata)) rep("All", length(s$time)) else strata_labels(as.character(s$strata), by)
      km_rows[[length(km_rows) + 1]] <- data.frame(
        dataset = ds, variant = variant, by = byname, group = grp, time_days = s$time,
        at_risk = s$n.risk, events = s$n.event, censored = s$n.censor, survival = s$surv,
        ci_lower = s$lower, ci_upper = s$upper)
      tab <- summary(fit, rmean = TAU[[ds]])$table
      if (is.null(dim(tab))) tab <- t(as.matrix(tab))
      sum_rows[[length(sum_rows) + 1]] <- data.frame(
        dataset = ds, variant = variant, by = byname,
        group = if (is.null(by)) "All" else strata_labels(rownames(tab), by),
        n = tab[, "records"], events = tab[, "events"], tau_days = TAU[[ds]],
        rmst_days = tab[, "rmean"], se = tab[, "se(rmean)"], median_days = tab[, "median"],
        ci_lower = tab[, "0.95LCL"], ci_upper = tab[, "0.95UCL"])
      st <- summary(fit, times = TIMES[[ds]], extend = TRUE)
      time_rows[[length(time_rows) + 1]] <- data.frame(
        dataset = ds, variant = variant, by = byname,
        group = if (is.null(st$strata)) "All" else strata_labels(as.character(st$strata), by),
        time_days = st$time, at_risk = st$n.risk, survival = st$surv,
        ci_lower = st$lower, ci_upper = st$upper)
    }
  }
}
save(km_rows, "survival_ref_km.csv")
save(sum_rows, "survival_ref_summary.csv")
save(time_rows, "survival_ref_times.csv")

# ---- log-rank tests ------------------------------------------------------------------
# obs, exp and var (k x k) as survdiff, for counting-process data: at each event time the
# risk set is {start < t <= stop}; V_gh = sum d (n - d) / (n^2 (n - 1)) * n_g (n δ_gh - n_h).
lr_counting <- function(start, stop, event, g) {
  lev <- levels(g); k <- length(lev)
  obs <- exp <- numeric(k); V <- matrix(0, k, k)
  for (t in sort(unique(stop[event == 1]))) {
    risk <- start < t & stop >= t
    ng <- as.numeric(table(factor(g[risk], levels = lev)))
    dg <- as.numeric(table(factor(g[stop == t & event == 1], levels = lev)))
    n <- sum(ng); dd <- sum(dg)
    obs <- obs + dg; exp <- exp + dd * ng / n
    if (n > 1) V <- V + dd * (n - dd) / (n^2 * (n - 1)) * (n * diag(ng, k) - outer(ng, ng))
  }
  list(obs = obs, exp = exp, var = V)
}
chisq_of <- function(obs, exp, V) {
  keep <- exp > 0
  u <- (obs - exp)[keep][-1]
  vv <- V[keep, keep, drop = FALSE][-1, -1, drop = FALSE]
  list(chisq = sum(solve(vv, u) * u), df = sum(keep) - 1)
}
lr <- function(d, by, variant) {
  g <- droplevels(factor(d[[by]], levels = if (is.factor(d[[by]])) levels(d[[by]]) else sort(unique(d[[by]]))))
  if (variant == "rc") {
    sd <- survdiff(Surv(time_days, event) ~ g, data = d)
    out <- list(obs = as.numeric(sd$obs), exp = as.numeric(sd$exp), var = sd$var,
                chisq = sd$chisq, df = length(sd$n) - 1)
  } else {
    out <- lr_counting(d$start, d$time_days, d$event, g)
    cs <- chisq_of(out$obs, out$exp, out$var)
    out$chisq <- cs$chisq; out$df <- cs$df
  }
  out$levels <- levels(g)
  out
}
test_row <- function(ds, variant, test, by, g1, g2, chisq, df, p, p_holm = NA) {
  data.frame(dataset = ds, variant = variant, test = test, by = by, group1 = g1, group2 = g2,
             chisq = chisq, df = df, p = p, p_holm = p_holm)
}
for (ds in c("hand", "synthetic")) {
  d <- datasets[[ds]]
  for (variant in c("rc", "lt")) {
    for (by in c("age_group", "authority")) {
      r <- lr(d, by, variant)
      tests[[length(tests) + 1]] <- test_row(ds, variant, "logrank", by, "", "", r$chisq, r$df,
                                             pchisq(r$chisq, r$df, lower.tail = FALSE))
      if (by == "age_group") {
        w <- seq_along(r$levels)  # scores 1..k over the groups present, in order
        u <- sum(w * (r$obs - r$exp)); v <- drop(t(w) %*% r$var %*% w)
        tests[[length(tests) + 1]] <- test_row(ds, variant, "trend", by, "", "", u^2 / v, 1,
                                               pchisq(u^2 / v, 1, lower.tail = FALSE))
      }
      lev <- r$levels; pr <- list()
      for (i in seq_len(length(lev) - 1)) for (j in (i + 1):length(lev)) {
        sub <- d[as.character(d[[by]]) %in% lev[c(i, j)], ]
        rr <- lr(sub, by, variant)
        pr[[length(pr) + 1]] <- data.frame(g1 = lev[i], g2 = lev[j], chisq = rr$chisq, df = rr$df,
                                           p = pchisq(rr$chisq, rr$df, lower.tail = FALSE))
      }
      pr <- do.call(rbind, pr)
      pr$p_holm <- p.adjust(pr$p, method = "holm")
      tests[[length(tests) + 1]] <- test_row(ds, variant, "pairwise", by, pr$g1, pr$g2, pr$chisq,
                                             pr$df, pr$p, pr$p_holm)
    }
  }
}
save(tests, "survival_ref_tests.csv")

# ---- Cox models (Efron ties) ------------------------------------------------------------
COX <- list(hand = c("authority", "sex", "legal_basis"),
            synthetic = c("age_group", "authority", "sex", "legal_basis"))
for (ds in names(COX)) {
  d <- datasets[[ds]]
  for (v in setdiff(COX[[ds]], "age_group")) d[[v]] <- factor(d[[v]], levels = sort(unique(d[[v]])))
  for (variant in c("rc", "lt")) {
    lhs <- if (variant == "lt") "Surv(start, time_days, event)" else "Surv(time_days, event)"
    fit <- coxph(as.formula(paste(lhs, "~", paste(COX[[ds]], collapse = " + "))), data = d,
                 ties = "efron", control = coxph.control(eps = 1e-10, iter.max = 100))
    cf <- summary(fit)$coefficients; ci <- summary(fit)$conf.int
    cox_rows[[length(cox_rows) + 1]] <- data.frame(
      dataset = ds, variant = variant, term = rownames(cf), coef = cf[, "coef"],
      hazard_ratio = cf[, "exp(coef)"], se = cf[, "se(coef)"], z = cf[, "z"],
      p = cf[, "Pr(>|z|)"], ci_lower = ci[, "lower .95"], ci_upper = ci[, "upper .95"],
      loglik = fit$loglik[2], n = fit$n, events = fit$nevent)
    for (tr in c("km", "rank", "identity")) {
      z <- cox.zph(fit, transform = tr, terms = TRUE)$table
      zph_rows[[length(zph_rows) + 1]] <- data.frame(
        dataset = ds, variant = variant, transform = tr, term = rownames(z),
        chisq = z[, "chisq"], df = z[, "df"], p = z[, "p"])
    }
  }
}
save(cox_rows, "survival_ref_cox.csv")
save(zph_rows, "survival_ref_zph.csv")
