"""Regression and forecasting tasks of the sample generator: Ames house prices, Favorita
store sales (daily, by store and family) and Capital Bikeshare hourly demand (with
target-leaking columns).

The figures imitate the public data sets they are named after; nothing is downloaded.
"""

from __future__ import annotations

from memalign_nb.datasets.generator.task_spec import Column, Feature, TaskSpec

C = Column

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
