create schema reporting;
create table reporting.daily (day date primary key, n int);
