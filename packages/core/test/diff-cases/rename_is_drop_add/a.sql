create table profiles (id int primary key, fullname text);
