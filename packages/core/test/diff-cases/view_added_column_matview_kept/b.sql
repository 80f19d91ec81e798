create table readings (id int primary key, sensor text, value int);
create view clean_readings as select id, sensor, value, value * 2 as doubled from readings where value is not null;
create materialized view sensor_totals as select sensor, sum(value) as total from clean_readings group by sensor;
