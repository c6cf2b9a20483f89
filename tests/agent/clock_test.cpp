// placeholder: clock tests (helper "clock" writes them)
