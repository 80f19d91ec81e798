create table bookings (id int primary key, room int not null, during tsrange not null);
create table holds (id int primary key, during tsrange not null, constraint holds_no_overlap exclude using gist (during with &&));
