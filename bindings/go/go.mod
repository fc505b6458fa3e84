module github.com/spladerunner/spladerunner-go

go 1.22
