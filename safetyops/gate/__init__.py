"""Gate access log: entries and exits, who is on site now, watchlist, night rounds, daily report."""
