create table boxes (id int primary key, w int, h int, area int generated always as (w * h) stored);
create index boxes_area on boxes(area);
insert into boxes values (1, 2, 3);
