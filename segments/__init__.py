"""Analytics: RFM, historic and predicted CLV, churn risk, rule-based segments, business metrics and
dashboards.
"""
