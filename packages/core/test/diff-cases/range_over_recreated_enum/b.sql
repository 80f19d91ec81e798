create type grade as enum ('a', 'b', 'c');
create type grade_range as range (subtype = grade);
create table marks (id int primary key, g grade, span grade_range);
