"""What goes out on paper and in files: referral letters and feedback sheets (referral,
issuing), blank liaison forms, the statistics sheet, the bulletin and the daily summary.
May import store, rules, xlsx, config and domain; not intake or mail.
"""
