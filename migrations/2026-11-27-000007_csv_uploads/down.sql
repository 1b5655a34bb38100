DROP TABLE thorne.csv_uploads;
