# Reference values for pace_analysis.competing, from R's survival and cmprsk.
#
# Reads the committed inputs (competing_hand_frame.csv: a small hand-checkable dataset
# with tied times, day-0 events, late entry and an all-censored group;
# competing_synthetic_frame.csv: three authorities of the synthetic data) and writes, at
# full precision (%.17g):
#   competing_ref_aj.csv      multi-state survfit (Aalen-Johansen, infinitesimal-jackknife
#                             std.err, late entry) per group, conf.type log-log/log/plain
#   competing_ref_cuminc.csv  cmprsk::cuminc estimates and variances (journeys with
#                             entry_days == 0 only: cuminc has no late entry)
#   competing_ref_gray.csv    cmprsk::cuminc(...)$Tests, Gray's test (rho = 0), same subset
# Run from the repository root:  Rscript tests/reference/competing_reference.R
# Conventions: entry_days <= 0 means followed from the origin (at risk at day 0 too), which
# in R's counting-process form is a start time below 0 (here -1); late entrants are at risk
# on (entry_days, time_days]. "censored" is censoring, every other outcome a state.
suppressPackageStartupMessages({library(survival); library(cmprsk)})
dir <- "tests/reference"
fmt <- function(x) ifelse(is.na(x), "NA", sprintf("%.17g", x))
states_all <- c("home", "kinship", "permanence_order", "adoption", "exit")

aj_one <- function(d, dataset, by, group, thin = 1, types = c("log-log", "log", "plain")) {
  d$start <- ifelse(d$entry_days <= 0, -1, d$entry_days)
  lev <- c("censored", states_all[states_all %in% d$outcome])
  if (length(lev) == 1) return(NULL)  # no events: survfit has nothing to estimate
  d$st <- factor(d$outcome, levels = lev)
  d$id <- seq_len(nrow(d))
  out <- NULL
  for (ct in types) {
    f <- survfit(Surv(start, time_days, st) ~ 1, data = d, id = id, conf.type = ct)
    sn <- f$states; sn[1] <- "waiting"
    # every time for small data; for large data every thin-th time with an event (plus the
    # last time) keeps the file small while still checking hundreds of steps
    ev <- which(rowSums(f$n.event) > 0)
    keep <- if (thin == 1) seq_along(f$time) else sort(unique(c(ev[seq(1, length(ev), by = thin)],
                                                               length(f$time))))
    for (j in seq_along(sn)) {
      out <- rbind(out, data.frame(dataset = dataset, by = by, group = group, conf_type = ct,
        state = sn[j], time = fmt(f$time[keep]), n_risk = f$n.risk[keep, 1],
        pstate = fmt(f$pstate[keep, j]), std_err = fmt(f$std.err[keep, j]),
        lower = fmt(f$lower[keep, j]), upper = fmt(f$upper[keep, j])))
    }
  }
  out
}

cuminc_one <- function(d, dataset, by, group, thin = 1) {
  d <- d[d$entry_days <= 0, ]
  if (!any(d$outcome != "censored")) return(NULL)
  z <- cuminc(d$time_days, d$outcome, cencode = "censored")
  out <- NULL
  for (nm in names(z)) {
    if (nm == "Tests") next
    st <- sub("^1 ", "", nm)
    n <- length(z[[nm]]$time)
    keep <- sort(unique(c(seq(1, n, by = thin), n)))
    out <- rbind(out, data.frame(dataset = dataset, by = by, group = group, state = st,
      time = fmt(z[[nm]]$time[keep]), est = fmt(z[[nm]]$est[keep]),
      var = fmt(z[[nm]]$var[keep])))
  }
  out
}

gray <- function(d, dataset, by) {
  d <- d[d$entry_days <= 0, ]
  z <- cuminc(d$time_days, d$outcome, d[[by]], cencode = "censored")
  t <- z$Tests
  data.frame(dataset = dataset, by = by, state = rownames(t), stat = fmt(t[, "stat"]),
             pv = fmt(t[, "pv"]), df = t[, "df"])
}

aj <- NULL; ci <- NULL; gr <- NULL
inputs <- list(
  hand = list(file = "competing_hand_frame.csv", by = "group", thin = 1,
              types = c("log-log", "log", "plain")),
  synthetic = list(file = "competing_synthetic_frame.csv", by = c("authority", "age_group"),
                   thin = 4, types = "log-log"))
for (ds in names(inputs)) {
  d <- read.csv(file.path(dir, inputs[[ds]]$file), stringsAsFactors = FALSE)
  th <- inputs[[ds]]$thin; ty <- inputs[[ds]]$types
  aj <- rbind(aj, aj_one(d, ds, "none", "All", th, ty))
  ci <- rbind(ci, cuminc_one(d, ds, "none", "All", th))
  for (b in inputs[[ds]]$by) {
    for (g in sort(unique(d[[b]]))) {
      aj <- rbind(aj, aj_one(d[d[[b]] == g, ], ds, b, g, th, ty))
      ci <- rbind(ci, cuminc_one(d[d[[b]] == g, ], ds, b, g, th))
    }
    gr <- rbind(gr, gray(d, ds, b))
  }
}
write.csv(aj, file.path(dir, "competing_ref_aj.csv"), row.names = FALSE, quote = TRUE)
write.csv(ci, file.path(dir, "competing_ref_cuminc.csv"), row.names = FALSE, quote = TRUE)
write.csv(gr, file.path(dir, "competing_ref_gray.csv"), row.names = FALSE, quote = TRUE)
writeLines(c(R.version.string, paste("survival", packageVersion("survival")),
             paste("cmprsk", packageVersion("cmprsk"))),
           file.path(dir, "competing_ref_versions.txt"))
