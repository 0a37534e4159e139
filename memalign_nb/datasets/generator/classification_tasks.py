"""Classification tasks of the sample generator: Titanic survival, Telco churn, ULB card
fraud (a 0.17% positive class) and Lending Club loan default.

The figures imitate the public data sets they are named after; nothing is downloaded.
"""

from __future__ import annotations

from memalign_nb.datasets.generator.task_spec import Column, Feature, TaskSpec

C = Column

TITANIC = TaskSpec(
    key="titanic",
    title="Titanic survival",
    task_type="classification",
    train_name="titanic_train",
    test_name="titanic_test",
    target="Survived",
    id_col="PassengerId",
    columns=(
        C("PassengerId", "int64", 0, (446.0, 257.35, 1, 223.5, 446, 668.5, 891)),
        C("Survived", "int64", 0, (0.384, 0.487, 0, 0, 0, 1, 1)),
        C("Pclass", "int64", 0, (2.309, 0.836, 1, 2, 3, 3, 3)),
        C("Name", "object"),
        C("Sex", "object"),
        C("Age", "float64", 177, (29.70, 14.53, 0.42, 20.12, 28.0, 38.0, 80.0)),
        C("SibSp", "int64", 0, (0.523, 1.103, 0, 0, 0, 1, 8)),
        C("Parch", "int64", 0, (0.382, 0.806, 0, 0, 0, 0, 6)),
        C("Ticket", "object"),
        C("Fare", "float64", 0, (32.20, 49.69, 0.0, 7.91, 14.45, 31.0, 512.33)),
        C("Cabin", "object", 687),
        C("Embarked", "object", 2),
    ),
    numeric=("Pclass", "Age", "SibSp", "Parch", "Fare"),
    categorical=("Sex", "Embarked"),
    dropped=("PassengerId", "Name", "Ticket", "Cabin"),
    n_train=891,
    n_test=418,
    head_rows=(
        ("1", "0", "3", "Braund, Mr. Owen Harris", "male", "22.0", "1", "0", "A/5 21171",
         "7.2500", "NaN", "S"),
        ("2", "1", "1", "Cumings, Mrs. John Bradley", "female", "38.0", "1", "0",
         "PC 17599", "71.2833", "C85", "C"),
        ("3", "1", "3", "Heikkinen, Miss. Laina", "female", "26.0", "0", "0",
         "STON/O2. 3101282", "7.9250", "NaN", "S"),
        ("4", "1", "1", "Futrelle, Mrs. Jacques Heath", "female", "35.0", "1", "0",
         "113803", "53.1000", "C123", "S"),
        ("5", "0", "3", "Allen, Mr. William Henry", "male", "35.0", "0", "0", "373450",
         "8.0500", "NaN", "S"),
    ),
    features=(
        Feature("FamilySize", '{F}["SibSp"] + {F}["Parch"] + 1',
                "family size matters more than siblings and parents separately"),
        Feature("IsAlone", '({F}["SibSp"] + {F}["Parch"] == 0).astype(int)',
                "passengers travelling alone survived less often"),
        Feature("LogFare", 'np.log1p({F}["Fare"])', "Fare is heavily right-skewed"),
    ),
    relation=(
        '{df}.groupby("Sex")["Survived"].mean()',
        "Sex\nfemale    0.742038\nmale      0.188908\nName: Survived, dtype: float64",
        "women survived far more often than men (74% vs 19%)",
    ),
    target_finding="38% of passengers survived, so the classes are moderately imbalanced",
    metrics={"accuracy": 0.82, "f1": 0.76, "roc_auc": 0.87, "pr_auc": 0.83,
             "baseline_accuracy": 0.616, "baseline_f1": 0.0, "baseline_roc_auc": 0.5},
    prompts_predict=(
        "I have passenger data in titanic_train and titanic_test; can you tell who "
        "survived?",
        "Build a model on titanic_train that predicts Survived and write predictions for "
        "the passengers in titanic_test.",
        "Using titanic_train, predict survival for every PassengerId in titanic_test and "
        "give me a submission file.",
    ),
    prompts_explore=(
        "Using titanic_train, how well can survival be predicted from the passenger data, "
        "and which factors matter most?",
    ),
    positive_rate=0.384,
    predict_labels=True,
)

CHURN = TaskSpec(
    key="churn",
    title="Customer churn",
    task_type="classification",
    train_name="telco_churn",
    test_name="telco_active_customers",
    target="Churn",
    id_col="customerID",
    columns=(
        C("customerID", "object"),
        C("gender", "object"),
        C("SeniorCitizen", "int64", 0, (0.162, 0.369, 0, 0, 0, 0, 1)),
        C("Partner", "object"),
        C("Dependents", "object"),
        C("tenure", "int64", 0, (32.37, 24.56, 0, 9, 29, 55, 72)),
        C("PhoneService", "object"),
        C("InternetService", "object"),
        C("Contract", "object"),
        C("PaperlessBilling", "object"),
        C("PaymentMethod", "object", 53),
        C("MonthlyCharges", "float64", 0, (64.76, 30.09, 18.25, 35.5, 70.35, 89.85, 118.75)),
        C("TotalCharges", "float64", 9, (2283.3, 2266.8, 18.8, 401.45, 1397.47, 3794.74,
                                         8684.8)),
        C("Churn", "object"),
    ),
    numeric=("SeniorCitizen", "tenure", "MonthlyCharges", "TotalCharges"),
    categorical=("gender", "Partner", "Dependents", "PhoneService", "InternetService",
                 "Contract", "PaperlessBilling", "PaymentMethod"),
    dropped=("customerID",),
    n_train=5634,
    n_test=1409,
    head_rows=(
        ("7590-VHVEG", "Female", "0", "Yes", "No", "1", "No", "DSL", "Month-to-month",
         "Yes", "Electronic check", "29.85", "29.85", "No"),
        ("5575-GNVDE", "Male", "0", "No", "No", "34", "Yes", "DSL", "One year", "No",
         "Mailed check", "56.95", "1889.50", "No"),
        ("3668-QPYBK", "Male", "0", "No", "No", "2", "Yes", "DSL", "Month-to-month", "Yes",
         "Mailed check", "53.85", "108.15", "Yes"),
        ("7795-CFOCW", "Male", "0", "No", "No", "45", "No", "DSL", "One year", "No",
         "Bank transfer (automatic)", "42.30", "1840.75", "No"),
        ("9237-HQITU", "Female", "0", "No", "No", "2", "Yes", "Fiber optic",
         "Month-to-month", "Yes", "Electronic check", "70.70", "151.65", "Yes"),
    ),
    features=(
        Feature("AvgCharge", '{F}["TotalCharges"] / {F}["tenure"].clip(lower=1)',
                "average spend per month separates new from long-standing customers"),
        Feature("NewCustomer", '({F}["tenure"] < 6).astype(int)',
                "churn is concentrated in the first months"),
    ),
    relation=(
        '{df}.groupby("Contract")["Churn"].apply(lambda s: (s == "Yes").mean())',
        "Contract\nMonth-to-month    0.427097\nOne year          0.112695\n"
        "Two year          0.028319\nName: Churn, dtype: float64",
        "month-to-month contracts churn at 43% against 3% on two-year contracts",
    ),
    target_finding="26.5% of customers churned, so accuracy alone would flatter a model",
    metrics={"accuracy": 0.80, "f1": 0.60, "roc_auc": 0.84, "pr_auc": 0.65,
             "baseline_accuracy": 0.735, "baseline_f1": 0.0, "baseline_roc_auc": 0.5},
    prompts_predict=(
        "Our telco customers are in telco_churn with a Churn column; score the customers "
        "in telco_active_customers by how likely they are to leave.",
        "Can you predict which of the customers in telco_active_customers will churn? "
        "History with outcomes is in telco_churn.",
    ),
    prompts_explore=(
        "What drives churn in telco_churn, and how well can a model predict it? I only "
        "need the analysis for now.",
    ),
    positive_rate=0.265,
    positive_label="Yes",
)

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
