create type grade as enum ('a', 'b', 'c', 'x');
create type grade_range as range (subtype = grade);
create table marks (id int primary key, g grade, span grade_range);
insert into marks values (1, 'b', '[a,c)');
