create table t (id int not null, at date not null, v text);
create table t_2024 (id int not null, at date not null, v text);
create table t_2025 (id int not null, at date not null, v text, primary key (id, at));
