"""Sample-generator tasks with no or rare missing values and harder targets: card fraud
(a 0.17% positive class), hourly bike demand (with target-leaking columns) and loan default.
"""

from __future__ import annotations

from memalign_nb.datasets._gen_taskspec import Column, Feature, TaskSpec

C = Column

_FRAUD_SHOWN = {
    "Time": ("0.0", "0.0", "1.0", "1.0", "2.0"),
    "V1": ("-1.359807", "1.191857", "-1.358354", "-0.966272", "-1.158233"),
    "V2": ("-0.072781", "0.266151", "-1.340163", "-0.185226", "0.877737"),
    "V3": ("2.536347", "0.166480", "1.773209", "1.792993", "1.548718"),
    "V4": ("1.378155", "0.448154", "0.379780", "-0.863291", "0.403034"),
    "V26": ("-0.189115", "0.125895", "-0.139097", "-0.221929", "0.502292"),
    "V27": ("0.133558", "-0.008983", "-0.055353", "0.062723", "0.219422"),
    "V28": ("-0.021053", "0.014724", "-0.059752", "0.061458", "0.215153"),
    "Amount": ("149.62", "2.69", "378.66", "123.50", "69.99"),
    "Class": ("0", "0", "0", "0", "0"),
}
_FRAUD_COLUMNS = ("Time", *(f"V{i}" for i in range(1, 29)), "Amount", "Class")

FRAUD = TaskSpec(
    key="fraud",
    title="Card fraud detection",
    task_type="classification",
    train_name="creditcard_train",
    test_name="creditcard_new",
    target="Class",
    id_col="",
    columns=tuple(
        C(name, "int64" if name == "Class" else "float64", 0,
          {"Time": (94813.9, 47488.1, 0, 54201.5, 84692, 139320.5, 172792),
           "Amount": (88.35, 250.12, 0, 5.6, 22.0, 77.17, 25691.16),
           "Class": (0.0017, 0.0415, 0, 0, 0, 0, 1)}.get(name, (0.0, 1.0, -56.4, -0.6, 0.0,
                                                              0.6, 22.1)))
        for name in _FRAUD_COLUMNS
    ),
    numeric=tuple(c for c in _FRAUD_COLUMNS if c != "Class"),
    categorical=(),
    dropped=(),
    n_train=227845,
    n_test=56962,
    head_rows=tuple(
        tuple(_FRAUD_SHOWN.get(name, ("0.000000",) * 5)[row] for name in _FRAUD_COLUMNS)
        for row in range(5)
    ),
    features=(
        Feature("LogAmount", 'np.log1p({F}["Amount"])',
                "Amount spans five orders of magnitude"),
        Feature("Hour", '({F}["Time"] // 3600) % 24',
                "fraud is relatively more frequent at night"),
    ),
    relation=(
        '{df}.groupby("Class")["Amount"].describe()',
        "          count        mean         std  min   25%    50%     75%       max\n"
        "Class                                                                      \n"
        "0      227451.0   88.291022  250.105092  0.0  5.65  22.00   77.05  25691.16\n"
        "1         394.0  122.211321  256.683288  0.0  1.00   9.25  105.89   2125.87",
        "fraudulent transactions have a lower median but a heavier tail in Amount",
    ),
    target_finding=("only 0.17% of transactions are fraud (394 of 227,845), a severe "
                    "imbalance, so accuracy is meaningless here"),
    metrics={"accuracy": 0.9994, "f1": 0.83, "roc_auc": 0.97, "pr_auc": 0.80,
             "recall": 0.79, "precision": 0.88,
             "baseline_accuracy": 0.9983, "baseline_f1": 0.0, "baseline_roc_auc": 0.5,
             "baseline_pr_auc": 0.0017},
    prompts_predict=(
        "creditcard_train has labelled card transactions (Class 1 = fraud). Flag the "
        "likely frauds in creditcard_new.",
        "Can you build a fraud detector on creditcard_train and score the transactions in "
        "creditcard_new?",
    ),
    prompts_explore=(
        "How well can fraud be detected in creditcard_train? Tell me which model and "
        "threshold you would use; no scoring needed yet.",
    ),
    positive_rate=0.0017,
)

BIKES = TaskSpec(
    key="bike_demand",
    title="Bike rental demand",
    task_type="regression",
    train_name="bike_rentals",
    test_name="bike_rentals_test",
    target="count",
    id_col="datetime",
    columns=(
        C("datetime", "object"),
        C("season", "int64", 0, (2.51, 1.12, 1, 2, 3, 4, 4)),
        C("holiday", "int64", 0, (0.029, 0.167, 0, 0, 0, 0, 1)),
        C("workingday", "int64", 0, (0.681, 0.466, 0, 0, 1, 1, 1)),
        C("weather", "int64", 0, (1.42, 0.63, 1, 1, 1, 2, 4)),
        C("temp", "float64", 0, (20.23, 7.79, 0.82, 13.94, 20.5, 26.24, 41.0)),
        C("atemp", "float64", 0, (23.66, 8.47, 0.76, 16.67, 24.24, 31.06, 45.46)),
        C("humidity", "int64", 0, (61.89, 19.25, 0, 47, 62, 77, 100)),
        C("windspeed", "float64", 0, (12.80, 8.16, 0, 7.0, 13.0, 17.0, 57.0)),
        C("casual", "int64", 0, (36.02, 49.96, 0, 4, 17, 49, 367)),
        C("registered", "int64", 0, (155.55, 151.04, 0, 36, 118, 222, 886)),
        C("count", "int64", 0, (191.57, 181.14, 1, 42, 145, 284, 977)),
    ),
    numeric=("season", "holiday", "workingday", "weather", "temp", "atemp", "humidity",
             "windspeed"),
    categorical=(),
    dropped=("datetime",),
    leaky=("casual", "registered"),
    n_train=10886,
    n_test=6493,
    head_rows=tuple(
        (f"2011-01-01 0{h}:00:00", "1", "0", "0", "1", t, a, hum, "0.0", c, r, n)
        for h, t, a, hum, c, r, n in (
            (0, "9.84", "14.395", "81", "3", "13", "16"),
            (1, "9.02", "13.635", "80", "8", "32", "40"),
            (2, "9.02", "13.635", "80", "5", "27", "32"),
            (3, "9.84", "14.395", "75", "3", "10", "13"),
            (4, "9.84", "14.395", "75", "0", "1", "1"),
        )
    ),
    features=(
        Feature("hour", 'pd.to_datetime({F}["datetime"]).dt.hour',
                "demand peaks at 8:00 and 17:00-18:00 on working days"),
        Feature("weekday", 'pd.to_datetime({F}["datetime"]).dt.dayofweek',
                "weekend demand has a different daily shape"),
        Feature("year", 'pd.to_datetime({F}["datetime"]).dt.year',
                "rentals grew strongly from 2011 to 2012"),
    ),
    relation=(
        '{df}.groupby(pd.to_datetime({df}["datetime"]).dt.hour)["count"].mean().round(1)'
        '.iloc[[3, 8, 13, 17, 18, 23]]',
        "datetime\n3       11.8\n8      362.8\n13     253.7\n17     468.8\n18     430.9\n"
        "23      90.0\nName: count, dtype: float64",
        "demand peaks at 8:00 and 17:00-18:00, the commuting hours",
    ),
    target_finding=("hourly rentals are right-skewed (median 145, max 977) and casual + "
                    "registered add up to count exactly"),
    metrics={"rmse": 41.0, "mae": 26.0, "r2": 0.94,
             "baseline_rmse": 181.0, "baseline_mae": 142.0, "baseline_r2": 0.0},
    prompts_predict=(
        "bike_rentals has hourly rental counts with weather; predict count for every hour "
        "in bike_rentals_test.",
        "Predict how many bikes will be rented each hour in bike_rentals_test, using "
        "bike_rentals for training.",
    ),
    prompts_explore=(
        "How well can hourly bike demand in bike_rentals be predicted from time and "
        "weather? Just the analysis, please.",
    ),
)

LOANS = TaskSpec(
    key="loan_default",
    title="Loan default risk",
    task_type="classification",
    train_name="loans_history",
    test_name="loan_applications",
    target="default",
    id_col="loan_id",
    columns=(
        C("loan_id", "int64", 0, (19000.5, 10969.9, 1, 9500.75, 19000.5, 28500.25, 38000)),
        C("loan_amnt", "float64", 0, (11219.4, 7456.7, 500, 5500, 10000, 15000, 35000)),
        C("term", "object"),
        C("int_rate", "float64", 0, (12.02, 3.72, 5.42, 9.25, 11.86, 14.59, 24.59)),
        C("grade", "object"),
        C("emp_length", "object", 2468),
        C("home_ownership", "object"),
        C("annual_inc", "float64", 4, (68968.9, 64793.4, 4000, 40500, 59000, 82300,
                                       6000000)),
        C("purpose", "object"),
        C("dti", "float64", 19, (13.32, 6.68, 0, 8.18, 13.4, 18.6, 29.99)),
        C("revol_util", "float64", 50, (48.8, 28.3, 0, 25.4, 49.3, 72.4, 99.9)),
        C("delinq_2yrs", "int64", 0, (0.147, 0.492, 0, 0, 0, 0, 11)),
        C("default", "float64", 304, (0.151, 0.358, 0, 0, 0, 0, 1)),
    ),
    numeric=("loan_amnt", "int_rate", "annual_inc", "dti", "revol_util", "delinq_2yrs"),
    categorical=("term", "grade", "emp_length", "home_ownership", "purpose"),
    dropped=("loan_id",),
    n_train=38000,
    n_test=9500,
    head_rows=(
        ("1", "5000.0", "36 months", "10.65", "B", "10+ years", "RENT", "24000.0",
         "credit_card", "27.65", "83.7", "0", "0.0"),
        ("2", "2500.0", "60 months", "15.27", "C", "< 1 year", "RENT", "30000.0", "car",
         "1.00", "9.4", "0", "1.0"),
        ("3", "2400.0", "36 months", "15.96", "C", "10+ years", "RENT", "12252.0",
         "small_business", "8.72", "98.5", "0", "0.0"),
        ("4", "10000.0", "36 months", "13.49", "C", "10+ years", "RENT", "49200.0",
         "other", "20.00", "21.0", "0", "0.0"),
        ("5", "3000.0", "60 months", "12.69", "B", "1 year", "RENT", "80000.0", "other",
         "17.94", "53.9", "0", "NaN"),
    ),
    features=(
        Feature("loan_to_income", '{F}["loan_amnt"] / {F}["annual_inc"]',
                "the loan's size relative to income matters more than either alone"),
        Feature("term_months", '{F}["term"].str.extract(r"(\\d+)", expand=False).astype(int)',
                "60-month loans default about twice as often"),
    ),
    relation=(
        '{df}.groupby("grade")["default"].mean().round(3)',
        "grade\nA    0.060\nB    0.122\nC    0.172\nD    0.220\nE    0.268\nF    0.319\n"
        "G    0.320\nName: default, dtype: float64",
        "the default rate climbs steadily from 6% for grade A to 32% for grades F-G",
    ),
    target_finding=("15% of loans defaulted and 304 loans have no outcome yet (default is "
                    "NaN), so those rows must be dropped, not imputed"),
    metrics={"accuracy": 0.85, "f1": 0.34, "roc_auc": 0.71, "pr_auc": 0.33,
             "baseline_accuracy": 0.849, "baseline_f1": 0.0, "baseline_roc_auc": 0.5,
             "baseline_pr_auc": 0.151},
    prompts_predict=(
        "loans_history has past loans with a default flag; estimate the default risk of "
        "each application in loan_applications.",
        "Score the applications in loan_applications for default risk, trained on "
        "loans_history.",
    ),
    prompts_explore=(
        "Which borrower attributes in loans_history predict default, and how good is a "
        "model at it? No scoring needed.",
    ),
    positive_rate=0.151,
)
