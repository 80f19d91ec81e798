create table readings (id int primary key, sensor text, value int);
create view clean_readings as select id, sensor, value from readings where value is not null;
create materialized view sensor_totals as select sensor, sum(value) as total from clean_readings group by sensor;
create unique index sensor_totals_sensor on sensor_totals (sensor);
create view top_sensors as select sensor from sensor_totals where total > 10;
insert into readings values (1, 'a', 5), (2, 'a', 7);
