"""The familiar ML problems the sample generator writes notebooks for.

The figures imitate the public data sets they are named after (Titanic, Telco churn, Ames
house prices, Favorita store sales, ULB card fraud, Capital Bikeshare, Lending Club);
nothing is downloaded. Three more tasks live in ``_gen_tasks_more``.
"""

from __future__ import annotations

from memalign_nb.datasets._gen_tasks_more import BIKES, FRAUD, LOANS
from memalign_nb.datasets._gen_taskspec import Column, Feature, TaskSpec

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

HOUSES = TaskSpec(
    key="house_prices",
    title="House prices",
    task_type="regression",
    train_name="house_prices_train",
    test_name="house_prices_test",
    target="SalePrice",
    id_col="Id",
    columns=(
        C("Id", "int64", 0, (730.5, 421.6, 1, 365.75, 730.5, 1095.25, 1460)),
        C("MSZoning", "object"),
        C("LotFrontage", "float64", 259, (70.05, 24.28, 21, 59, 69, 80, 313)),
        C("LotArea", "int64", 0, (10516.8, 9981.3, 1300, 7553.5, 9478.5, 11601.5, 215245)),
        C("Neighborhood", "object"),
        C("OverallQual", "int64", 0, (6.10, 1.38, 1, 5, 6, 7, 10)),
        C("YearBuilt", "int64", 0, (1971.3, 30.2, 1872, 1954, 1973, 2000, 2010)),
        C("MasVnrArea", "float64", 8, (103.7, 181.1, 0, 0, 0, 166, 1600)),
        C("TotalBsmtSF", "int64", 0, (1057.4, 438.7, 0, 795.75, 991.5, 1298.25, 6110)),
        C("GrLivArea", "int64", 0, (1515.5, 525.5, 334, 1129.5, 1464, 1776.75, 5642)),
        C("GarageCars", "int64", 0, (1.77, 0.75, 0, 1, 2, 2, 4)),
        C("GarageYrBlt", "float64", 81, (1978.5, 24.7, 1900, 1961, 1980, 2002, 2010)),
        C("FireplaceQu", "object", 690),
        C("YrSold", "int64", 0, (2007.8, 1.33, 2006, 2007, 2008, 2009, 2010)),
        C("SalePrice", "int64", 0, (180921.2, 79442.5, 34900, 129975, 163000, 214000,
                                    755000)),
    ),
    numeric=("LotFrontage", "LotArea", "OverallQual", "YearBuilt", "MasVnrArea",
             "TotalBsmtSF", "GrLivArea", "GarageCars", "GarageYrBlt", "YrSold"),
    categorical=("MSZoning", "Neighborhood", "FireplaceQu"),
    dropped=("Id",),
    n_train=1460,
    n_test=1459,
    head_rows=(
        ("1", "RL", "65.0", "8450", "CollgCr", "7", "2003", "196.0", "856", "1710", "2",
         "2003.0", "NaN", "2008", "208500"),
        ("2", "RL", "80.0", "9600", "Veenker", "6", "1976", "0.0", "1262", "1262", "2",
         "1976.0", "TA", "2007", "181500"),
        ("3", "RL", "68.0", "11250", "CollgCr", "7", "2001", "162.0", "920", "1786", "2",
         "2001.0", "TA", "2008", "223500"),
        ("4", "RL", "60.0", "9550", "Crawfor", "7", "1915", "0.0", "756", "1717", "3",
         "1998.0", "Gd", "2006", "140000"),
        ("5", "RL", "84.0", "14260", "NoRidge", "8", "2000", "350.0", "1145", "2198", "3",
         "2000.0", "TA", "2008", "250000"),
    ),
    features=(
        Feature("TotalSF", '{F}["TotalBsmtSF"] + {F}["GrLivArea"]',
                "total floor area is the single strongest size signal"),
        Feature("HouseAge", '{F}["YrSold"] - {F}["YearBuilt"]',
                "age at sale is what buyers price, not the build year"),
    ),
    relation=(
        '{df}.corr(numeric_only=True)["SalePrice"].sort_values(ascending=False).head(5)',
        "SalePrice      1.000000\nOverallQual    0.790982\nGrLivArea      0.708624\n"
        "GarageCars     0.640409\nTotalBsmtSF    0.613581\nName: SalePrice, dtype: float64",
        "overall quality and living area correlate most with price (0.79 and 0.71)",
    ),
    target_finding="SalePrice is right-skewed (mean 181k, median 163k), so a log target helps",
    metrics={"rmse": 28500.0, "mae": 17800.0, "r2": 0.87,
             "baseline_rmse": 79400.0, "baseline_mae": 57000.0, "baseline_r2": 0.0},
    prompts_predict=(
        "house_prices_train has sale prices of homes in Ames; predict SalePrice for the "
        "houses in house_prices_test.",
        "Can you estimate what the houses in house_prices_test will sell for? Past sales "
        "are in house_prices_train.",
    ),
    prompts_explore=(
        "Which properties of a house drive its sale price in house_prices_train, and how "
        "accurately can we model it?",
    ),
)

STORE_SALES = TaskSpec(
    key="store_sales",
    title="Store sales forecast",
    task_type="forecasting",
    train_name="store_sales",
    test_name="store_sales_future",
    target="sales",
    id_col="id",
    columns=(
        C("id", "int64", 0, (60191.5, 34751.4, 0, 30095.75, 60191.5, 90287.25, 120383)),
        C("date", "object"),
        C("store_nbr", "int64", 0, (27.5, 15.6, 1, 14, 27.5, 41, 54)),
        C("family", "object"),
        C("onpromotion", "int64", 0, (2.6, 12.2, 0, 0, 0, 0, 741)),
        C("dcoilwtico", "float64", 37587, (67.9, 25.7, 26.19, 46.28, 53.19, 95.8, 110.62)),
        C("transactions", "float64", 1203, (1694.6, 963.3, 5, 1046, 1393, 2079, 8359)),
        C("sales", "float64", 412, (357.8, 1102.0, 0, 0, 11, 195.8, 124717)),
    ),
    numeric=("store_nbr", "onpromotion", "dcoilwtico", "transactions"),
    categorical=("family",),
    dropped=("id",),
    date_col="date",
    n_train=120384,
    n_test=28512,
    head_rows=(
        ("0", "2017-01-01", "1", "AUTOMOTIVE", "0", "NaN", "NaN", "0.000"),
        ("1", "2017-01-01", "1", "BEAUTY", "0", "NaN", "NaN", "0.000"),
        ("2", "2017-01-02", "1", "BEVERAGES", "3", "52.36", "1838.0", "2134.000"),
        ("3", "2017-01-02", "1", "BREAD/BAKERY", "0", "52.36", "1838.0", "412.291"),
        ("4", "2017-01-02", "1", "CLEANING", "0", "52.36", "1838.0", "736.000"),
    ),
    features=(
        Feature("dayofweek", '{F}["date"].dt.dayofweek',
                "sales follow a strong weekly cycle"),
        Feature("month", '{F}["date"].dt.month', "December sales jump every year"),
        Feature("sales_lag_16",
                '{F}.groupby(["store_nbr", "family"])["sales"].shift(16)',
                "the value 16 days back is known at forecast time for the whole horizon"),
    ),
    relation=(
        '{df}.groupby({df}["date"].dt.day_name())["sales"].mean().sort_values()',
        "date\nThursday     309.25\nWednesday    318.60\nTuesday      322.02\n"
        "Monday       341.87\nFriday       352.91\nSaturday     433.70\nSunday       460.11\n"
        "Name: sales, dtype: float64",
        "weekend sales are about 40% above midweek sales, a clear weekly seasonality",
    ),
    target_finding=("daily sales are zero-inflated and trend upwards, with a weekly cycle "
                    "and a December peak"),
    metrics={"mae": 118.0, "rmsle": 0.49, "mape": 0.21, "r2": 0.93,
             "baseline_mae": 164.0, "baseline_rmsle": 0.62, "baseline_mape": 0.31},
    prompts_predict=(
        "store_sales has daily sales per store and product family up to 2017-07-31; "
        "forecast the next 16 days for the rows in store_sales_future.",
        "Please forecast daily sales for each store and family in store_sales_future using "
        "the history in store_sales.",
    ),
    prompts_explore=(
        "How accurately can we forecast daily sales in store_sales two weeks ahead? "
        "Backtest on the last weeks; no forecasts needed yet.",
    ),
)

TASKS: tuple[TaskSpec, ...] = (TITANIC, CHURN, HOUSES, STORE_SALES, FRAUD, BIKES, LOANS)
"""Every task the generator writes notebooks for, in a fixed order."""
