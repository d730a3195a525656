# Reference values for pace_analysis.multistate, from R's survival (multi-state survfit).
#
# Reads the committed long-form inputs written by multistate_frames.py
# (multistate_hand_transitions.csv: 17 hand-made journeys with ties, same-day moves,
# skipped stages, a day-0 move and late entry into middle states;
# multistate_synthetic_transitions.csv: three authorities of the synthetic data) and fits
#   survfit(Surv(tstart, tstop, to) ~ 1, id = journey_id, istate = from)
# per group (all, and each authority), writing at full precision (%.17g):
#   multistate_ref_pstate.csv  time, pstate and std.err of every state: std_err with
#                              influence = TRUE (includes the variability of p0) and
#                              std_err_default (R's default, influence = FALSE); every
#                              time for the hand data, every 4th time for the synthetic
#   multistate_ref_rmean.csv   summary(fit, rmean = tau)$table: rmean and se(rmean)
#                              (influence = TRUE), and the same from the influence
#                              matrix by hand (sum over subjects of the squared
#                              integrated influence). The two agree except in groups
#                              with a move on day 0: then survfit0 adds no time-0 row
#                              but influence.pstate still starts with the p0 row, so
#                              survmean2 pairs each time's width with the previous
#                              time's influence (e.g. a non-zero se for a state never
#                              occupied before tau). The tests use the by-hand value.
# Run from the repository root:  Rscript tests/reference/multistate_reference.R
suppressPackageStartupMessages(library(survival))
dir <- "tests/reference"
fmt <- function(x) ifelse(is.na(x), "NA", sprintf("%.17g", x))
all_states <- c("at_home", "accommodated", "recommended", "panel", "agency_decision",
                "application", "home", "kinship", "permanence_order", "adoption", "left_care")

one <- function(d, dataset, by, group, thin, taus) {
  d$to <- factor(ifelse(d$to_state == "censored", "(censored)", d$to_state),
                 levels = c("(censored)", all_states))
  d$from <- factor(d$from_state, levels = all_states)
  f <- survfit(Surv(tstart, tstop, to) ~ 1, data = d, id = journey_id, istate = from,
               influence = TRUE)
  f0 <- survfit(Surv(tstart, tstop, to) ~ 1, data = d, id = journey_id, istate = from)
  sn <- f$states
  keep <- sort(unique(c(seq(1, length(f$time), by = thin), length(f$time))))
  ps <- NULL
  for (j in seq_along(sn)) {
    ps <- rbind(ps, data.frame(dataset = dataset, by = by, group = group, state = sn[j],
      time = fmt(f$time[keep]), pstate = fmt(f$pstate[keep, j]),
      std_err = fmt(f$std.err[keep, j]), std_err_default = fmt(f0$std.err[keep, j])))
  }
  rm <- NULL
  for (tau in taus) {
    tab <- summary(f, rmean = tau)$table
    # by hand: integrate each subject's influence over [0, tau] (survfit0 adds time 0)
    tt <- c(0, f$time); infl <- f$influence.pstate  # subjects x (1 + times) x states
    if (f$time[1] == 0) { tt <- f$time; infl <- infl[, -1, , drop = FALSE] }
    delta <- diff(c(pmin(tt, tau), tau)); delta[tt >= tau] <- 0
    by_hand <- sqrt(colSums(apply(infl, c(1, 3), function(x) sum(x * delta))^2))
    rm <- rbind(rm, data.frame(dataset = dataset, by = by, group = group, state = sn,
      tau = fmt(tau), rmean = fmt(tab[, "rmean"]), se_rmean = fmt(tab[, "se(rmean)"]),
      se_rmean_by_hand = fmt(by_hand)))
  }
  list(ps = ps, rm = rm)
}

ps <- NULL; rm <- NULL
inputs <- list(hand = list(thin = 1, taus = c(300, 1000)),
               synthetic = list(thin = 4, taus = c(730.5, 1826.25)))
for (ds in names(inputs)) {
  d <- read.csv(file.path(dir, sprintf("multistate_%s_transitions.csv", ds)),
                stringsAsFactors = FALSE)
  th <- inputs[[ds]]$thin; ta <- inputs[[ds]]$taus
  res <- list(one(d, ds, "none", "All", th, ta))
  for (g in sort(unique(d$authority))) {
    res[[length(res) + 1]] <- one(d[d$authority == g, ], ds, "authority", g, th, ta)
  }
  for (r in res) { ps <- rbind(ps, r$ps); rm <- rbind(rm, r$rm) }
}
write.csv(ps, file.path(dir, "multistate_ref_pstate.csv"), row.names = FALSE, quote = TRUE)
write.csv(rm, file.path(dir, "multistate_ref_rmean.csv"), row.names = FALSE, quote = TRUE)
writeLines(c(R.version.string, paste("survival", packageVersion("survival"))),
           file.path(dir, "multistate_ref_versions.txt"))
