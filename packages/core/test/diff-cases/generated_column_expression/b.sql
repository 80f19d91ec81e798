create table boxes (id int primary key, w int, h int, area int generated always as (w * h * 2) stored);
create index boxes_area on boxes(area);
